"""The OpenAPI 3.1 document served at /openapi.json (hand-written, so it says exactly what is served)."""

from __future__ import annotations

from typing import Any

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_AUTH: list[dict[str, list[str]]] = [{"apiKey": []}]


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def openapi_document(version: str) -> dict[str, Any]:
    """The OpenAPI document of this server's VC-API endpoints."""
    obj = {"type": "object"}
    verify_result = {
        "type": "object",
        "required": ["verified", "checks", "warnings", "errors"],
        "properties": {
            "verified": {"type": "boolean"},
            "checks": {"type": "array", "items": {"type": "string"}},
            "warnings": {"type": "array", "items": obj},
            "errors": {"type": "array", "items": obj},
            "report": obj,
        },
    }
    verify_options = {
        "type": "object",
        "properties": {
            "checks": {
                "type": "array",
                "items": {"type": "string"},
                "description": "proof, status, expiration, schema, issuer, endorsements (default: all)",
            },
            "domain": {"type": "string"},
            "challenge": {"type": "string"},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "microcred VC-API",
            "version": version,
            "description": "Issue, verify and manage the status of Open Badges 3.0 micro-credentials "
            "(W3C Verifiable Credentials). Errors are RFC 9457 problem details.",
        },
        "paths": {
            "/credentials/issue": {
                "post": {
                    "summary": "Issue a credential: sign a full credential, or build one from a definition",
                    "security": _AUTH,
                    "requestBody": _json_body(
                        {
                            "type": "object",
                            "properties": {
                                "credential": obj,
                                "definition": obj,
                                "recipient": {"type": "string"},
                                "name": {"type": "string"},
                                "grade": {"type": "string"},
                                "options": {
                                    "type": "object",
                                    "properties": {
                                        "format": {"enum": ["di", "jwt"]},
                                        "cryptosuite": {"type": "string"},
                                    },
                                },
                            },
                        }
                    ),
                    "responses": {
                        "201": {
                            "description": "issued",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["verifiableCredential"],
                                        "properties": {"verifiableCredential": obj},
                                    }
                                }
                            },
                        },
                        "400": _PROBLEM,
                        "401": _PROBLEM,
                        "413": _PROBLEM,
                    },
                }
            },
            "/credentials/verify": {
                "post": {
                    "summary": "Verify a credential (JSON-LD, or a VC-JWT, bare or enveloped)",
                    "requestBody": _json_body(
                        {
                            "type": "object",
                            "required": ["verifiableCredential"],
                            "properties": {"verifiableCredential": {}, "options": verify_options},
                        }
                    ),
                    "responses": {
                        "200": {
                            "description": "verified",
                            "content": {"application/json": {"schema": verify_result}},
                        },
                        "400": _PROBLEM,
                        "413": _PROBLEM,
                        "422": {
                            "description": "not verified",
                            "content": {"application/json": {"schema": verify_result}},
                        },
                    },
                }
            },
            "/presentations/verify": {
                "post": {
                    "summary": "Verify a presentation",
                    "requestBody": _json_body(
                        {
                            "type": "object",
                            "required": ["verifiablePresentation"],
                            "properties": {"verifiablePresentation": {}, "options": verify_options},
                        }
                    ),
                    "responses": {
                        "200": {
                            "description": "verified",
                            "content": {"application/json": {"schema": verify_result}},
                        },
                        "400": _PROBLEM,
                        "422": {
                            "description": "not verified",
                            "content": {"application/json": {"schema": verify_result}},
                        },
                    },
                }
            },
            "/credentials/status": {
                "post": {
                    "summary": "Revoke, suspend or reinstate a credential this server issued",
                    "security": _AUTH,
                    "requestBody": _json_body(
                        {
                            "type": "object",
                            "required": ["credentialId"],
                            "properties": {
                                "credentialId": {"type": "string"},
                                "credentialStatus": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "type": {"type": "string"},
                                            "status": {"enum": ["revoked", "suspended", "reinstated"]},
                                        },
                                    },
                                },
                                "reason": {"type": "string"},
                            },
                        }
                    ),
                    "responses": {
                        "200": {"description": "changed"},
                        "400": _PROBLEM,
                        "401": _PROBLEM,
                        "404": _PROBLEM,
                    },
                }
            },
            "/status/{list}": {
                "get": {
                    "summary": "A signed BitstringStatusListCredential, at the URL credentials name",
                    "parameters": [
                        {"name": "list", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {"200": {"description": "the list credential"}, "404": _PROBLEM},
                }
            },
        },
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "Problem": {
                    "description": "a problem (RFC 9457)",
                    "content": {
                        "application/problem+json": {
                            "schema": {
                                "type": "object",
                                "required": ["type", "title", "status", "detail"],
                                "properties": {
                                    "type": {"type": "string"},
                                    "title": {"type": "string"},
                                    "status": {"type": "integer"},
                                    "code": {"type": "string"},
                                    "detail": {"type": "string"},
                                    "field": {"type": "string"},
                                },
                            }
                        }
                    },
                }
            },
        },
    }
