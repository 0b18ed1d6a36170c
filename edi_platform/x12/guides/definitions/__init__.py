"""Our own declarative guide definitions (270/271 X279A1, 276/277 X212, 837D X224A2).

Written from the published implementation-guide structure (loops, segments, usages,
repeats, qualifier codes) in a compact notation (:mod:`.dsl`); the standard element
layout of each segment (data element refs, composites, types, lengths) comes from the
X12 segment dictionary gathered from pyx12's map data.
"""
