package harness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/worker"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// Truth is the simulator's side of a run: its apps at the start, its
// events and the dump requests as they started.
type Truth struct {
	Initial  sim.Info
	Events   []sim.Event
	Requests []DumpRequest
}

// Summary is the outcome of Check. JSON names are the test/chaos contract.
type Summary struct {
	// Incidents checked and the jobs they expected.
	Incidents int `json:"incidents"`
	Jobs      int `json:"jobs"`
	// JobsIncomplete are jobs with no stored JobCompleted.
	JobsIncomplete int `json:"jobs_incomplete"`
	// Targets are the (app, instance) pairs the simulator had when their
	// job ran (see Check), plus instances that vanished during the job and
	// still got an outcome.
	Targets int `json:"targets"`
	// Captured dumps are stored and byte-identical to what the simulator
	// served (sha256 and size).
	Captured int   `json:"captured"`
	Bytes    int64 `json:"bytes"`
	// Failed targets were reported failed in JobCompleted, with reasons.
	Failed        int            `json:"failed"`
	FailedReasons map[string]int `json:"failed_reasons"`
	// Lost targets have neither a stored dump nor a reported failure.
	Lost       int      `json:"lost"`
	LostDetail []string `json:"lost_detail,omitempty"`
	// Vanished are instances removed while their job ran, without an
	// outcome: not targets, not lost.
	Vanished int `json:"vanished"`
	// Duplicates are extra dumps stored for one (incident, app, instance,
	// pid).
	Duplicates int `json:"duplicates"`
	// DuplicateRequests are dump requests that reached the simulator for
	// a key committed before the request started.
	DuplicateRequests int      `json:"duplicate_requests"`
	DuplicateDetail   []string `json:"duplicate_detail,omitempty"`
	// Corrupt are stored dumps whose bytes differ from what the simulator
	// served, or that JobCompleted reports without storage holding them.
	Corrupt       int      `json:"corrupt"`
	CorruptDetail []string `json:"corrupt_detail,omitempty"`
	// Orphans are stored dumps no JobCompleted mentions.
	Orphans int `json:"orphans"`
	// Analyzed dumps have a per-dump analysis; Unanalyzed were asked for
	// one and lack it. Reports counts final incident reports.
	Analyzed   int `json:"analyzed"`
	Unanalyzed int `json:"unanalyzed"`
	Reports    int `json:"reports"`
	// DeadLettered messages, by queue and reason.
	DeadLettered        int            `json:"dead_lettered"`
	DeadLetteredReasons map[string]int `json:"dead_lettered_reasons"`
	// LeftInQueues are messages still waiting in the queues.
	LeftInQueues int `json:"left_in_queues"`
	// DumpRequests is every dump request the simulator received.
	DumpRequests int `json:"dump_requests"`
}

// OK reports whether nothing was lost, duplicated or corrupted.
func (s *Summary) OK() bool {
	return s.Lost == 0 && s.Duplicates == 0 && s.DuplicateRequests == 0 && s.Corrupt == 0 && s.JobsIncomplete == 0
}

// Problems lists what is wrong, one sentence each.
func (s *Summary) Problems() []string {
	var p []string
	add := func(n int, what string, detail []string) {
		if n > 0 {
			msg := fmt.Sprintf("%d %s", n, what)
			if len(detail) > 0 {
				msg += ": " + strings.Join(firstN(detail, 5), "; ")
			}
			p = append(p, msg)
		}
	}
	add(s.JobsIncomplete, "job(s) never completed", nil)
	add(s.Lost, "target(s) lost", s.LostDetail)
	add(s.Duplicates, "duplicate dump(s)", nil)
	add(s.DuplicateRequests, "duplicate dump request(s)", s.DuplicateDetail)
	add(s.Corrupt, "corrupt or missing dump(s)", s.CorruptDetail)
	add(s.LeftInQueues, "message(s) left in the queues", nil)
	return p
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("… %d more", len(s)-n))
	}
	return s
}

// storedDump is one dump blob.
type storedDump struct {
	key                     string
	incident, app, instance string
	pid                     int
	size                    int64
	commit                  time.Time
}

// Check compares what the pipeline stored with the simulator's ground
// truth, for every incident in the blob store.
//
// A target is an (app, instance) pair: the app's w3wp on that instance.
// The targets of a job are the instances its app had when the job's
// completed delivery started (JobCompleted.started_at), from the
// simulator's initial instances and its scale events. An instance removed
// before the job finished with no outcome counts as Vanished, not lost.
// A target is lost when it ends with neither a stored dump nor a failure
// in its JobCompleted (or the job never completed). A dump request is a
// duplicate when the dump of its (app, instance, pid) for the incident it
// belongs to (the latest incident on that app created before the request)
// was committed before the request started.
//
// queues, when given, are inspected for dead letters and leftovers; call
// Check after the services stopped.
func Check(ctx context.Context, b blob.Bucket, queues map[string]queue.Queue, truth Truth) (*Summary, error) {
	s := &Summary{FailedReasons: map[string]int{}, DeadLetteredReasons: map[string]int{}, DumpRequests: len(truth.Requests)}
	manifests, err := readManifests(ctx, b)
	if err != nil {
		return nil, err
	}
	s.Incidents = len(manifests)
	dumps, err := listDumps(ctx, b)
	if err != nil {
		return nil, err
	}
	served := servedHashes(truth.Events)
	byTarget := map[string][]storedDump{} // incident|app|instance|pid
	for _, d := range dumps {
		k := d.incident + "|" + d.app + "|" + d.instance + "|" + strconv.Itoa(d.pid)
		byTarget[k] = append(byTarget[k], d)
	}
	for _, ds := range byTarget {
		s.Duplicates += len(ds) - 1
	}
	mentioned := map[string]bool{}
	for _, m := range manifests {
		rep, err := ReadReport(ctx, b, m.IncidentID)
		if err == nil && Final(rep) {
			s.Reports++
		}
		for _, mj := range m.Jobs {
			s.Jobs++
			app := mj.Site.Segment()
			jc, err := readJob(ctx, b, m.IncidentID, app)
			if errors.Is(err, blob.ErrNotFound) {
				s.JobsIncomplete++
				n := len(instancesAt(truth, app, time.Now()))
				s.Targets += n
				s.Lost += n
				s.LostDetail = append(s.LostDetail, fmt.Sprintf("%s: job %s never completed (%d targets)", app, mj.JobID, n))
				continue
			}
			if err != nil {
				return nil, err
			}
			if err := s.checkJob(ctx, b, truth, m, jc, served, mentioned); err != nil {
				return nil, err
			}
		}
	}
	for _, d := range dumps {
		if !mentioned[d.key] {
			s.Orphans++
		}
	}
	s.countDuplicateRequests(truth, manifests, dumps)
	for name, q := range queues {
		if err := s.inspectQueue(ctx, name, q); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// checkJob accounts for one completed job's targets.
func (s *Summary) checkJob(ctx context.Context, b blob.Bucket, truth Truth, m *messages.Manifest, jc *messages.JobCompleted,
	served map[string]map[string]int64, mentioned map[string]bool) error {
	app := jc.Site.Segment()
	must := instancesAt(truth, app, jc.StartedAt)
	gone := removedBetween(truth, app, jc.StartedAt, jc.FinishedAt)
	covered := map[string]bool{}
	for _, t := range jc.Targets {
		switch t.Outcome {
		case messages.OutcomeCaptured:
			covered[t.Instance] = true
			mentioned[t.DumpKey] = true
			sum, n, err := hashBlob(ctx, b, t.DumpKey)
			if err != nil {
				s.Corrupt++
				s.CorruptDetail = append(s.CorruptDetail, fmt.Sprintf("%s: %v", t.DumpKey, err))
				continue
			}
			want := served[app+"|"+t.Instance+"|"+strconv.Itoa(t.PID)]
			if size, ok := want[sum]; !ok || size != n || (t.SHA256 != "" && t.SHA256 != sum) {
				s.Corrupt++
				s.CorruptDetail = append(s.CorruptDetail, fmt.Sprintf("%s: sha256 %s (%d bytes) is not what the simulator served", t.DumpKey, sum, n))
				continue
			}
			s.Captured++
			s.Bytes += n
			if m.Action.Analyze {
				index := 0
				if t.Series != nil {
					index = t.Series.Index
				}
				if _, err := b.Attributes(ctx, layout.SeriesDumpReportKey(m.IncidentID, app, t.Instance, t.Process, t.PID, index)); err == nil {
					s.Analyzed++
				} else {
					s.Unanalyzed++
				}
			}
		case messages.OutcomeFailed:
			covered[t.Instance] = true
			s.Failed++
			s.FailedReasons[reasonClass(t.Reason)]++
		}
	}
	if jc.Error != "" {
		for _, in := range must {
			if !covered[in] {
				covered[in] = true
				s.Failed++
				s.FailedReasons[reasonClass("job: "+jc.Error)]++
			}
		}
	}
	seen := map[string]bool{}
	for _, in := range must {
		seen[in] = true
		switch {
		case covered[in]:
			s.Targets++
		case gone[in]:
			s.Vanished++
		default:
			s.Targets++
			s.Lost++
			s.LostDetail = append(s.LostDetail, fmt.Sprintf("%s/%s in incident %s: no dump and no failure", app, in, m.IncidentID))
		}
	}
	for in := range covered {
		if !seen[in] {
			s.Targets++ // an instance the simulator gained after the job started
		}
	}
	return nil
}

// reasonClass shortens a failure reason to its kind, for counting: URLs,
// pids and instance ids are masked.
func reasonClass(r string) string {
	r = strings.TrimSpace(r)
	if i := strings.Index(r, ": "); i > 0 && strings.HasPrefix(r, "dump failed after") {
		r = r[i+2:]
	}
	r = reURL.ReplaceAllString(r, "URL")
	r = rePID.ReplaceAllString(r, "$1 N")
	r = reInstance.ReplaceAllString(r, "ID")
	if len(r) > 160 {
		r = r[:160] + "…"
	}
	return r
}

var (
	reURL      = regexp.MustCompile(`https?://[^ ]*[^ :]`)
	rePID      = regexp.MustCompile(`\b(process|pid) [0-9]+`)
	reInstance = regexp.MustCompile(`\b[0-9a-f]{12,64}…?`)
)

// countDuplicateRequests applies Check's rule for duplicate requests.
func (s *Summary) countDuplicateRequests(truth Truth, manifests []*messages.Manifest, dumps []storedDump) {
	commit := map[string]time.Time{} // incident|app|instance|pid → earliest commit
	for _, d := range dumps {
		k := d.incident + "|" + d.app + "|" + d.instance + "|" + strconv.Itoa(d.pid)
		if t, ok := commit[k]; !ok || d.commit.Before(t) {
			commit[k] = d.commit
		}
	}
	type inc struct {
		id      string
		created time.Time
	}
	byApp := map[string][]inc{}
	for _, m := range manifests {
		for _, j := range m.Jobs {
			byApp[j.Site.Segment()] = append(byApp[j.Site.Segment()], inc{m.IncidentID, m.CreatedAt})
		}
	}
	for app := range byApp {
		sort.Slice(byApp[app], func(i, k int) bool { return byApp[app][i].created.Before(byApp[app][k].created) })
	}
	for _, r := range truth.Requests {
		var owner string
		for _, in := range byApp[r.App] {
			if !in.created.After(r.Start) {
				owner = in.id
			}
		}
		if owner == "" {
			continue
		}
		t, ok := commit[owner+"|"+r.App+"|"+r.Instance+"|"+strconv.Itoa(r.PID)]
		if r.Instance == "" { // no affinity cookie: any instance's dump of that pid
			for _, d := range dumps {
				if d.incident == owner && d.app == r.App && d.pid == r.PID && (!ok || d.commit.Before(t)) {
					t, ok = d.commit, true
				}
			}
		}
		if ok && t.Before(r.Start) {
			s.DuplicateRequests++
			s.DuplicateDetail = append(s.DuplicateDetail, fmt.Sprintf("%s/%s pid %d requested at %s, committed at %s",
				r.App, r.Instance, r.PID, r.Start.Format("15:04:05.000"), t.Format("15:04:05.000")))
		}
	}
}

// inspectQueue counts dead letters (with reasons) and leftovers.
func (s *Summary) inspectQueue(ctx context.Context, name string, q queue.Queue) error {
	if dq, ok := q.(queue.DeadLetterQueue); ok {
		dls, err := dq.DeadLetters(ctx, 100000)
		if err != nil {
			return fmt.Errorf("harness: dead letters of %s: %w", name, err)
		}
		for _, d := range dls {
			s.DeadLettered++
			s.DeadLetteredReasons[reasonClass(name+": "+d.Reason+": "+d.Description)]++
		}
	}
	for {
		rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		ms, err := q.Receive(rctx, 100)
		cancel()
		if err != nil || len(ms) == 0 {
			return nil
		}
		s.LeftInQueues += len(ms)
	}
}

// instancesAt are app's instances at t: the initial ones plus scale-outs,
// minus scale-ins, before t.
func instancesAt(truth Truth, app string, t time.Time) []string {
	set := map[string]bool{}
	var order []string
	for _, a := range truth.Initial.Apps {
		if a.Name == app {
			for _, in := range a.Instances {
				set[in] = true
				order = append(order, in)
			}
		}
	}
	for _, e := range truth.Events {
		if e.App != app || !e.Time.Before(t) {
			continue
		}
		switch e.Kind {
		case sim.EventScaleIn:
			set[e.Instance] = false
		case sim.EventScaleOut:
			if _, ok := set[e.Instance]; !ok {
				order = append(order, e.Instance)
			}
			set[e.Instance] = true
		}
	}
	var out []string
	for _, in := range order {
		if set[in] {
			out = append(out, in)
		}
	}
	return out
}

// removedBetween are app's instances scaled in during [from, to] (with a
// second of slack for clock reads on either side).
func removedBetween(truth Truth, app string, from, to time.Time) map[string]bool {
	out := map[string]bool{}
	for _, e := range truth.Events {
		if e.App == app && e.Kind == sim.EventScaleIn && !e.Time.Before(from.Add(-time.Second)) && !e.Time.After(to.Add(time.Second)) {
			out[e.Instance] = true
		}
	}
	return out
}

// servedHashes maps app|instance|pid to the sha256 → size of every dump
// the simulator sent completely.
func servedHashes(events []sim.Event) map[string]map[string]int64 {
	out := map[string]map[string]int64{}
	for _, e := range events {
		if (e.Kind == sim.EventDump || e.Kind == sim.EventStagedDump) && e.SHA256 != "" {
			k := e.App + "|" + e.Instance + "|" + strconv.Itoa(e.PID)
			if out[k] == nil {
				out[k] = map[string]int64{}
			}
			out[k][e.SHA256] = e.Size
		}
	}
	return out
}

func readManifests(ctx context.Context, b blob.Bucket) ([]*messages.Manifest, error) {
	list, err := b.List(ctx, "incidents/")
	if err != nil {
		return nil, fmt.Errorf("harness: listing incidents: %w", err)
	}
	var out []*messages.Manifest
	for _, a := range list {
		if !strings.HasSuffix(a.Key, "/manifest.json") {
			continue
		}
		data, err := readAll(ctx, b, a.Key)
		if err != nil {
			return nil, err
		}
		m, err := messages.DecodeManifest(data)
		if err != nil {
			return nil, fmt.Errorf("harness: %s: %w", a.Key, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func readJob(ctx context.Context, b blob.Bucket, incident, site string) (*messages.JobCompleted, error) {
	data, err := readAll(ctx, b, layout.JobKey(incident, site))
	if err != nil {
		return nil, err
	}
	return messages.DecodeJobCompleted(data)
}

func readAll(ctx context.Context, b blob.Bucket, key string) ([]byte, error) {
	r, _, err := b.NewReader(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("harness: reading %s: %w", key, err)
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, 16<<20))
}

// listDumps lists the stored dumps with the target their metadata names.
func listDumps(ctx context.Context, b blob.Bucket) ([]storedDump, error) {
	list, err := b.List(ctx, "dumps/")
	if err != nil {
		return nil, fmt.Errorf("harness: listing dumps: %w", err)
	}
	out := make([]storedDump, 0, len(list))
	for _, a := range list {
		md := a.Metadata
		if md[worker.MetaIncident] == "" {
			full, err := b.Attributes(ctx, a.Key)
			if err != nil {
				return nil, fmt.Errorf("harness: attributes of %s: %w", a.Key, err)
			}
			md = full.Metadata
		}
		pid, _ := strconv.Atoi(md[worker.MetaPID])
		commit := a.ModTime
		if commit.Nanosecond() == 0 {
			// Whole seconds (Azure's Last-Modified): the commit happened
			// within the second after; take the latest possible time.
			commit = commit.Add(time.Second - time.Nanosecond)
		}
		out = append(out, storedDump{key: a.Key, incident: md[worker.MetaIncident], app: md[worker.MetaApp],
			instance: md[worker.MetaInstance], pid: pid, size: a.Size, commit: commit})
	}
	return out, nil
}

// hashBlob streams a blob through SHA-256.
func hashBlob(ctx context.Context, b blob.Bucket, key string) (string, int64, error) {
	r, _, err := b.NewReader(ctx, key)
	if err != nil {
		return "", 0, err
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
