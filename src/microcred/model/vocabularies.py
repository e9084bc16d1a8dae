"""The vocabularies the model checks values against: countries, assessment, participation and
supervision types, level frameworks and their levels, Open Badges achievement, result and identifier
types. Data only; :mod:`microcred.model.elements` enforces them."""

from __future__ import annotations

_ISO_3166_ALPHA_2 = """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
VN VU WF WS YE YT ZA ZM ZW
"""

#: ISO 3166-1 alpha-2: every officially assigned code (249).
COUNTRY_CODES: frozenset[str] = frozenset(_ISO_3166_ALPHA_2.split())

#: Type of assessment (edubadges values first, then common forms; ``other`` needs a description).
ASSESSMENT_TYPES: tuple[str, ...] = (
    "testing",
    "application of a skill",
    "portfolio",
    "recognition of prior learning",
    "written exam",
    "oral exam",
    "practical demonstration",
    "project",
    "workplace observation",
    "peer assessment",
    "self assessment",
    "other",
)

#: Form of participation (edubadges values plus the EU Annex I forms).
PARTICIPATION_TYPES: tuple[str, ...] = (
    "online",
    "onsite",
    "blended",
    "onsite or blended",
    "work-based",
    "work experience",
    "volunteering",
    "personalized learning activities",
    "other",
)

#: Supervision and identity verification during assessment (edubadges values).
SUPERVISION_TYPES: tuple[str, ...] = (
    "unsupervised with no identity verification",
    "supervised with no identity verification",
    "supervised online",
    "onsite with identity verification",
)

#: Known levels per framework; NQF levels depend on the country (see :data:`NQF_LEVELS`); the UK
#: frameworks' levels are in :data:`UK_LEVELS`.
LEVEL_FRAMEWORKS: dict[str, tuple[int, ...] | None] = {
    "EQF": tuple(range(1, 9)),
    "AQF": tuple(range(1, 11)),
    "NQF": None,
    "RQF": None,
    "CQFW": None,
    "SCQF": None,
    "FHEQ": None,
}

_ENTRY = ("entry 1", "entry 2", "entry 3")
#: The UK frameworks (country GB): RQF (England, Northern Ireland), CQFW (Wales), SCQF (Scotland, 1–12)
#: and FHEQ (higher education in England, Wales and Northern Ireland, levels 4–8).
UK_LEVELS: dict[str, frozenset[str]] = {
    "RQF": frozenset([*_ENTRY, *(str(i) for i in range(1, 9))]),
    "CQFW": frozenset([*_ENTRY, *(str(i) for i in range(1, 9))]),
    "SCQF": frozenset(str(i) for i in range(1, 13)),
    "FHEQ": frozenset(str(i) for i in range(4, 9)),
}

#: Type of quality assurance: the ELM accreditation types, and internal quality assurance.
QUALITY_ASSURANCE_TYPES: tuple[str, ...] = (
    "institutional quality assurance",
    "programme quality assurance",
    "institutional licence",
    "programme licence",
    "internal quality assurance",
)

#: National frameworks whose levels microcred knows; other countries accept any non-empty level.
NQF_LEVELS: dict[str, frozenset[str]] = {
    "IE": frozenset(str(i) for i in range(1, 11)),  # NFQ
    "NL": frozenset(["entry", *(str(i) for i in range(1, 9))]),  # NLQF
    "DE": frozenset(str(i) for i in range(1, 9)),  # DQR
    "FR": frozenset(str(i) for i in range(1, 9)),
    "GB": frozenset(["entry 1", "entry 2", "entry 3", *(str(i) for i in range(1, 9))]),  # RQF / CQFW
    "ZA": frozenset(str(i) for i in range(1, 11)),
    "NZ": frozenset(str(i) for i in range(1, 11)),
    "AU": frozenset(str(i) for i in range(1, 11)),
}

#: Where each framework's levels are described (an Alignment needs a ``targetUrl``).
LEVEL_URLS: dict[str, str] = {
    "EQF": "https://europass.europa.eu/en/description-eight-eqf-levels",
    "AQF": "https://www.aqf.edu.au/framework/aqf-levels",
    "NQF": "https://europass.europa.eu/en/compare-qualifications",
    "RQF": "https://www.gov.uk/what-different-qualification-levels-mean/list-of-qualification-levels",
    "CQFW": "https://www.gov.wales/credit-and-qualifications-framework-cqfw",
    "SCQF": "https://scqf.org.uk/about-the-framework/interactive-framework/",
    "FHEQ": "https://www.qaa.ac.uk/the-quality-code/qualifications-frameworks",
}

#: Open Badges 3.0 AchievementType values (``ext:`` names are also allowed).
ACHIEVEMENT_TYPES: tuple[str, ...] = (
    "Achievement",
    "ApprenticeshipCertificate",
    "Assessment",
    "Assignment",
    "AssociateDegree",
    "Award",
    "Badge",
    "BachelorDegree",
    "Certificate",
    "CertificateOfCompletion",
    "Certification",
    "CommunityService",
    "Competency",
    "Course",
    "CoCurricular",
    "Degree",
    "Diploma",
    "DoctoralDegree",
    "Fieldwork",
    "GeneralEducationDevelopment",
    "JourneymanCertificate",
    "LearningProgram",
    "License",
    "Membership",
    "ProfessionalDoctorate",
    "QualityAssuranceCredential",
    "MasterCertificate",
    "MasterDegree",
    "MicroCredential",
    "ResearchDoctorate",
    "SecondarySchoolDiploma",
)

#: Open Badges 3.0 ResultType values (``ext:`` names are also allowed).
RESULT_TYPES: tuple[str, ...] = (
    "GradePointAverage",
    "LetterGrade",
    "Percent",
    "PerformanceLevel",
    "PredictedScore",
    "RawScore",
    "Result",
    "RubricCriterion",
    "RubricCriterionLevel",
    "RubricScore",
    "ScaledScore",
    "Status",
)

#: Open Badges 3.0 IdentifierTypeEnum values (``ext:`` names are also allowed).
IDENTIFIER_TYPES: tuple[str, ...] = (
    "name",
    "sourcedId",
    "systemId",
    "productId",
    "userName",
    "accountId",
    "emailAddress",
    "nationalIdentityNumber",
    "isbn",
    "issn",
    "lisSourcedId",
    "oneRosterSourcedId",
    "sisSourcedId",
    "ltiContextId",
    "ltiDeploymentId",
    "ltiToolId",
    "ltiPlatformId",
    "ltiUserId",
    "identifier",
)
