#!/usr/bin/env python3
"""Differential oracle: dump every file in a MIDI folder with Debian's python3-mido.

Used by tests/test_midi_oracles.cpp. For each file listed in manifest.tsv:
    F <tab> file <tab> ok | error:<ExceptionName>
then the number of tracks mido read (T <tab> n), then one line per event:
    E <tab> track <tab> abs_tick <tab> kind <tab> payload
where kind is "ch" (payload: status and data bytes in hex), "meta" (payload: the
meta type number) or "sysex".
"""
import sys

import mido

root = sys.argv[1]
names = [l.split('\t')[0] for l in open(root + '/manifest.tsv').read().splitlines()[1:]]
out = sys.stdout
for name in names:
    try:
        mf = mido.MidiFile(root + '/' + name)
    except Exception as e:  # the oracle's failures are part of the comparison
        out.write('F\t%s\terror:%s\n' % (name, type(e).__name__))
        continue
    out.write('F\t%s\tok\n' % name)
    out.write('T\t%d\n' % len(mf.tracks))
    for ti, track in enumerate(mf.tracks):
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.is_meta:
                code = getattr(msg, 'type_byte', None)
                if code is None:
                    code = mido.midifiles.meta._META_SPEC_BY_TYPE[msg.type].type_byte
                out.write('E\t%d\t%d\tmeta\t%d\n' % (ti, tick, code))
            elif msg.type == 'sysex':
                out.write('E\t%d\t%d\tsysex\t-\n' % (ti, tick))
            else:
                out.write('E\t%d\t%d\tch\t%s\n' % (ti, tick, ' '.join('%02x' % b for b in msg.bytes())))
