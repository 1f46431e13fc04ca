"""The one binding of cmark-gfm, the product's one Markdown parser (pure Python over ctypes; no Django).

The renderer (postmortems/markdown.py) and the structure reader (postmortems/interchange/reader.py)
both parse through this library. cmarkgfm's own wrappers never free the syntax tree or the HTML they
return, so we call the C library it ships directly and free what it allocates.
"""

import ctypes

from cmarkgfm import _cmark


class Allocator(ctypes.Structure):
    _fields_ = [
        ("calloc", ctypes.c_void_p), ("realloc", ctypes.c_void_p), ("free", ctypes.CFUNCTYPE(None, ctypes.c_void_p)),
    ]


def _bind(library):
    node = ctypes.c_void_p
    signatures = {
        "cmark_gfm_core_extensions_ensure_registered": (None, []),
        "cmark_find_syntax_extension": (ctypes.c_void_p, [ctypes.c_char_p]),
        "cmark_parser_new": (ctypes.c_void_p, [ctypes.c_int]),
        "cmark_parser_attach_syntax_extension": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p]),
        "cmark_parser_feed": (None, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]),
        "cmark_parser_finish": (node, [ctypes.c_void_p]),
        "cmark_parser_get_syntax_extensions": (ctypes.c_void_p, [ctypes.c_void_p]),
        "cmark_parser_free": (None, [ctypes.c_void_p]),
        "cmark_render_html": (ctypes.c_void_p, [node, ctypes.c_int, ctypes.c_void_p]),
        "cmark_get_default_mem_allocator": (ctypes.POINTER(Allocator), []),
        "cmark_node_free": (None, [node]),
        "cmark_node_first_child": (node, [node]),
        "cmark_node_next": (node, [node]),
        "cmark_node_get_type_string": (ctypes.c_char_p, [node]),
        "cmark_node_get_heading_level": (ctypes.c_int, [node]),
        "cmark_node_get_start_line": (ctypes.c_int, [node]),
        "cmark_node_get_end_line": (ctypes.c_int, [node]),
        "cmark_node_get_literal": (ctypes.c_char_p, [node]),
        "cmark_gfm_extensions_get_tasklist_item_checked": (ctypes.c_bool, [node]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(library, name)
        function.restype, function.argtypes = restype, argtypes
    return library


lib = _bind(ctypes.CDLL(_cmark.__file__))
lib.cmark_gfm_core_extensions_ensure_registered()
free = lib.cmark_get_default_mem_allocator().contents.free


def extensions(names) -> list:
    """Return the syntax extensions called `names` (b"table", b"tasklist", …), to attach to a parser."""
    return [lib.cmark_find_syntax_extension(name) for name in names]
