"""The kinds of text a post-mortem holds, listed once (plain data, no Django: the coach's engine reads it).

A section has one of SECTION_KINDS (models.SectionKind is built from it); the language coach also
checks the timeline, contributing factors and action items, so its rules may apply to TEXT_KINDS.
"""

SECTION_KINDS = {
    "summary": "Summary",
    "impact": "Impact",
    "narrative": "Narrative",
    "lessons": "Lessons learned",
    "supporting": "Supporting information",
}

OTHER_TEXT_KINDS = {
    "timeline": "Timeline",
    "factor": "Contributing factors",
    "action_item": "Action items",
}

TEXT_KINDS = {**SECTION_KINDS, **OTHER_TEXT_KINDS}
