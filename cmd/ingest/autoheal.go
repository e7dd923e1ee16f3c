package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/dumpflow/dumpflow/pkg/autoheal"
	"github.com/dumpflow/dumpflow/pkg/azcred"
	"github.com/dumpflow/dumpflow/pkg/ingest"
	"github.com/dumpflow/dumpflow/pkg/kudu"
	"github.com/dumpflow/dumpflow/pkg/policy"
)

// ruleFlags configure the auto-heal rules that serve runs (--rules).
type ruleFlags struct {
	file        string
	scmTemplate string
	memoryPoll  time.Duration
	evaluate    time.Duration
	metrics     bool
	webLogs     bool
	webLogPoll  time.Duration
}

func (rf *ruleFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&rf.file, "rules", "", "auto-heal rules file (see docs/autoheal.md); empty runs none")
	fs.StringVar(&rf.scmTemplate, "scm-url-template", "", "SCM base URL with {app}, overriding the host read from ARM (simulators)")
	fs.DurationVar(&rf.memoryPoll, "rules-memory-poll", autoheal.DefaultMemoryPoll, "how often the auto-heal memory watch reads each instance's worker process")
	fs.DurationVar(&rf.evaluate, "rules-evaluate", autoheal.DefaultEvaluateInterval, "how often auto-heal rules are evaluated")
	fs.BoolVar(&rf.metrics, "rules-metrics", true, "read request counts, status codes and latency from Azure Monitor for request-based rules")
	fs.BoolVar(&rf.webLogs, "rules-web-logs", true, "feed request-based rules every request from the site's web server logs (LogFiles/http/RawLogs) when it writes them")
	fs.DurationVar(&rf.webLogPoll, "rules-web-log-poll", autoheal.DefaultWebLogPoll, "how often the auto-heal web log reader reads what the logs gained")
}

// newRunner builds the auto-heal runner of a rules file: a memory watch
// through Kudu on every watched site and, when a rule needs request counts
// and ARM is authenticated, Azure Monitor metrics. Firings become incidents
// through svc.RuleFired. CPU rules run a CPU watch each, keeping their
// state in state.
func (rf *ruleFlags) newRunner(svc *ingest.Service, state policy.Store, armURL string, armAuth bool, log *slog.Logger) (*autoheal.Runner, error) {
	f, err := loadRules(rf.file)
	if err != nil {
		return nil, err
	}
	for _, r := range f.Rules {
		if r.IsEnabled() && len(r.Sites) == 0 {
			return nil, fmt.Errorf("%w: %s: rule %q lists no sites", errUsage, rf.file, r.Name)
		}
	}
	for _, r := range f.CPURules {
		if r.IsEnabled() && len(r.Sites) == 0 {
			return nil, fmt.Errorf("%w: %s: cpu rule %q lists no sites", errUsage, rf.file, r.Name)
		}
	}
	if f.Proactive != nil && f.Proactive.Enabled && len(f.Proactive.Sites) == 0 {
		return nil, fmt.Errorf("%w: %s: proactive rules list no sites", errUsage, rf.file)
	}
	sites := f.WatchedSites()
	ev := autoheal.NewEvaluator(f)
	var webLogs *autoheal.WebLogs
	metrics := false // a metrics source covers sites whose logs are off
	armCfg := kudu.ARMConfig{BaseURL: armURL, SCMURLTemplate: rf.scmTemplate}
	var scmAuth kudu.Auth
	var sources []autoheal.Source
	if armAuth {
		cred, err := azcred.Default()
		if err != nil {
			return nil, fmt.Errorf("azure credential: %w", err)
		}
		if armCfg.Auth, err = kudu.NewBearer(cred, kudu.ARMScope); err != nil {
			return nil, err
		}
		if scmAuth, err = kudu.NewBearer(cred); err != nil {
			return nil, err
		}
		if rf.metrics && f.NeedsRequests() {
			mc, err := autoheal.NewMetricsClient(armURL, cred, nil)
			if err != nil {
				return nil, err
			}
			m := autoheal.NewMetrics(mc, sites)
			m.Log = log
			// Sites whose web server logs feed the rules are not also
			// counted from metrics.
			m.Skip = func(site string) bool { return webLogs != nil && webLogs.Active(site) }
			sources = append(sources, m)
			metrics = true
		}
	} else if f.NeedsRequests() {
		log.Warn("auto-heal: without ARM authentication, request-based rules read only web server logs; on sites that do not write them they will not fire", "rules", rf.file)
	}
	arm, err := kudu.NewARM(armCfg)
	if err != nil {
		return nil, err
	}
	reader := &autoheal.KuduReader{ARM: arm, NewClient: func(scm string) (*kudu.Client, error) {
		return kudu.New(kudu.Config{SCMURL: scm, Auth: scmAuth})
	}}
	if len(sites) > 0 {
		sources = append(sources, &autoheal.MemoryWatch{Reader: reader, Sites: sites, Interval: rf.memoryPoll, Log: log})
	}
	if rf.webLogs && f.NeedsRequests() && len(sites) > 0 {
		webLogs = &autoheal.WebLogs{Reader: reader, Sites: sites, Interval: rf.webLogPoll, Keep: ev.Window(), Handover: metrics, Log: log}
		sources = append(sources, webLogs)
	}
	var cpu []*autoheal.CPUWatch
	for _, r := range f.CPURules {
		if r.IsEnabled() {
			// The session start and action count live beside the policy
			// limits, so a restart or a second replica keeps MaxActions.
			cpu = append(cpu, &autoheal.CPUWatch{Rule: r, Reader: reader, State: state, Log: log})
		}
	}
	log.Info("auto-heal rules loaded", "file", rf.file, "rules", len(f.Rules), "cpu_rules", len(cpu), "sites", len(sites), "sources", len(sources))
	// Cooldowns, flap guards and daily caps survive a restart and are
	// shared by replicas.
	ev.KeepLimitsIn(state)
	return &autoheal.Runner{
		CPU:       cpu,
		Evaluator: ev,
		Sources:   sources,
		Interval:  rf.evaluate,
		Log:       log,
		Act: func(ctx context.Context, fr autoheal.Firing) error {
			_, err := svc.RuleFired(ctx, fr)
			return err
		},
	}, nil
}
