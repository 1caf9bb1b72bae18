#!/usr/bin/env python3
"""ModalityEvent records for the Edu-EmotionNet job, written from Python with Debian's python3-avro.

The job reads Avro single-object encoding: the marker C3 01, the schema's CRC-64-AVRO fingerprint
(8 bytes, little-endian), then the Avro binary datum. HEADER is those first 10 bytes for the current
ModalityEvent schema, as the job's Java side computes them (README: Producers in other languages;
PythonProducerTest checks that they are still right). Do not compute the fingerprint from
python3-avro 1.11.1's canonical_form: it keeps event_time's logical-type wrapper ({"type":"long"}
where the specification's canonical form has "long"), so its fingerprint is another one and the job
would dead-letter every event as UNKNOWN_SCHEMA.

Usage: one JSON event per line on stdin, e.g.
  {"learner_id": "l-1", "session_id": "s-1", "modality": "AUDIO", "event_time": 1764800000000,
   "embedding": [0.1, ...], "quality": 12.5, "cohort_id": "class-4b"}
(quality and cohort_id are optional)
and on stdout, per event, its length as 4 bytes (big-endian) then its bytes: hand each to your Kafka
client as the record value (key: the learner id).
"""
import datetime
import io
import json
import os
import struct
import sys

import avro.io
import avro.schema

HEADER = bytes.fromhex("c301" "d7d8823e76baf266")
SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "avro")
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def load_schema(schema_dir=SCHEMA_DIR):
    """The current ModalityEvent schema (it names the Modality enum of its own file)."""
    names = avro.schema.Names()
    schema = None
    for name in ("Modality", "ModalityEvent"):
        with open(os.path.join(schema_dir, name + ".avsc"), encoding="utf-8") as f:
            schema = avro.schema.make_avsc_object(json.load(f), names)
    return schema


def encode(event, schema):
    """One event (a dict, event_time in epoch milliseconds) as the job reads it."""
    datum = {"schema_version": 2, "quality": None, "cohort_id": None}
    datum.update(event)
    # timestamp-millis: python3-avro writes datetimes; whole milliseconds, no float rounding
    datum["event_time"] = EPOCH + datetime.timedelta(milliseconds=int(event["event_time"]))
    out = io.BytesIO()
    out.write(HEADER)
    avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(out))
    return out.getvalue()


def main():
    schema = load_schema()
    for line in sys.stdin:
        if line.strip():
            value = encode(json.loads(line), schema)
            sys.stdout.buffer.write(struct.pack(">I", len(value)) + value)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
