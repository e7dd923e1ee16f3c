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
// Within one process, renders are coalesced per incident (group commit).
// The contract: Handle completes a message only after a render that started
// after the message's data was stored has finished successfully, so a crash
// can never leave a completed message's data out of the report. Messages of
// one incident handled at once share renders: at most one render per
// incident runs at a time, and every message that arrives while it runs
// waits for the next one, which serves all of them. A failed render fails
// every message that waited on it (they are redelivered, and a later render
// serves them). A caller whose context ends stops waiting and returns an
// error wrapping the context's error; the render goes on for the others,
// detached from that caller's cancellation and bounded by
// Config.RenderTimeout. A render that nobody waits for any more, and has
// not started, is dropped. Incidents render independently of each other,
// and an incident's state is forgotten as soon as no render of it is
// pending. Handler.Close waits for renders still running.
//
// The handler follows the queue port's contract: a message that can never
// succeed (undecodable, wrong type) is returned wrapped in queue.Permanent
// and dead-lettered; anything that may succeed later (a manifest not yet
// written, storage errors) is returned as is and redelivered.
package analyzer
