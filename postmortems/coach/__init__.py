"""The blameless coach: finds blaming and hindsight-biased language in a post-mortem's texts.

The engine is pure Python (no Django); the glue reads and stores through the ORM; the views add
permissions and URLs. Dependencies run one way, down this list:

- `views`, `urls`: the live check behind the editor, dismissing a finding (through
  `services.finding_dismiss`), the review panel's context, the trend page.
- `review`: stored findings grouped for the review panel, and the trend counts (read paths).
- `checks`: rules from the database, users' names, a post-mortem's texts, refreshing the stored
  findings, and `check_text` for one free text (a review comment).
- `engine`: masking, sentences, `check_texts` and `check_text` given compiled rules; action-item checks.
- `structure`: the built-in sentence-structure rules (a person as the agent of a failure, fault
  attributed to people, hindsight about people), each with a blameless rewrite.
- `patterns`: compiling `LanguageRule` patterns ({name}, {person}) and their required literals.
- `people`: names, roles and pronouns.  `words`: the frozen word lists (data only).
"""
