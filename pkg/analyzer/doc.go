// Package analyzer is the core of the analyzer service. Its Handler takes
// DumpCaptured and JobCompleted messages from the "analysis" queue:
//
//   - DumpCaptured: the dump is parsed straight from blob storage through
//     ranged reads (blob.Bucket.NewReaderAt; it is never downloaded whole),
//     and its analysis is stored at layout.DumpReportKey.
//   - JobCompleted: the payload is stored at layout.JobKey.
//
// After either, the incident report (reports/{incident}/index.html, .md and
// .json) is rendered again from what is stored: the manifest, the stored
// jobs and the per-dump analyses. Rendering is a pure function of that
// state, so redelivered, duplicate and late messages are harmless. Renders
// of one incident are serialized by a blob lease (locks/reports/{incident})
// so that a render of older state never overwrites a newer one.
//
// The handler follows the queue port's contract: a message that can never
// succeed (undecodable, wrong type) is returned wrapped in queue.Permanent
// and dead-lettered; anything that may succeed later (a manifest not yet
// written, storage errors) is returned as is and redelivered.
package analyzer
