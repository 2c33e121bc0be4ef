"""TruthCore data verification: records checked against declared rules, with evidence.

``truthcore.records.verify`` takes records inline or fetches a dataset through the
``truthcore.source`` connector, applies the payload's rules (schema, range, cross-field,
checksum, unique, required-if) and returns a verdict with the evidence of each failure.
"""
