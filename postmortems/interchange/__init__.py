"""Bringing post-mortems in and taking them out.

- `reader`: the pure Markdown structure reader on cmark-gfm's syntax tree (front matter, headings
  of both styles at any level, code and HTML comments, tables, lists, task lists). The importer,
  the timeline paste parser and `check_language` read documents through it. No Django imports.
- `timeline`: the paste parser: timeline lines and tables, dates, time zones. No Django imports.
- `chat`: Slack copies and exports, PagerDuty log entries; speakers become placeholders. No Django.
- `tools`: what chat and paging history becomes on a timeline (shared by commands and the editor).
- `importer`: Markdown files into post-mortems through the services (`import_markdown`).
- `exporter`: post-mortems out as Markdown the importer reads back (`export_markdown`).

Dependencies point one way: reader ← timeline ← importer; chat ← timeline, tools.
"""
