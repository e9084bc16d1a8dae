"""What an issuer puts on the web so anyone can verify: the static site (:mod:`.site`) and the share kit
of one credential (:mod:`.share`)."""
