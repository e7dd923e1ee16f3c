// Package messages defines the wire contracts between dumpflow's
// independently deployed services: CaptureJob (ingest → worker),
// DumpCaptured and JobCompleted (worker → analyzer), and the incident
// Manifest that ingest stores in blob storage.
//
// Every queue message is an Envelope: type, schema version, message id,
// incident id, W3C trace context and a typed payload. Decoding is strict: an
// unknown type or version, an unknown field, a missing required field or a
// bad value is an error of type *FieldError that names the field.
//
// The JSON wire form is pinned by golden files in testdata/. Adding an
// optional field is compatible; renaming, removing or re-typing one needs a
// new schema version.
package messages
