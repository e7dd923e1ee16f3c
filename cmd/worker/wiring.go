package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"time"

	"github.com/dumpflow/dumpflow/pkg/azcred"
	"github.com/dumpflow/dumpflow/pkg/backend"
	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/azureblob"
	"github.com/dumpflow/dumpflow/pkg/kudu"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/service"
	"github.com/dumpflow/dumpflow/pkg/worker"
)

// kuduFlags are the flags both subcommands use to reach Kudu.
type kuduFlags struct {
	armURL, scmTemplate string
	auth                service.AuthFlag
	firstByteLimit      time.Duration
	stagedPoll          time.Duration
	stagedClone         bool
}

func (k *kuduFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&k.armURL, "arm-url", kudu.DefaultARMURL, "Azure Resource Manager endpoint (the simulator's arm_url in tests)")
	fs.StringVar(&k.scmTemplate, "scm-url-template", "", "SCM base URL with {app} for the app name, overriding the host read from ARM (e.g. http://127.0.0.1:8080/{app})")
	k.auth.Register(fs)
	fs.DurationVar(&k.firstByteLimit, "first-byte-limit", worker.DefaultFirstByteLimit, "the front end's first-byte limit; direct dumps cut by it are reported with advice to use staged")
	fs.DurationVar(&k.stagedPoll, "staged-poll", kudu.DefaultPollInterval, "staged strategy: VFS poll interval")
	fs.BoolVar(&k.stagedClone, "staged-clone", true, "staged strategy: dump a clone of the process (procdump -r), pausing it only while it is cloned; false dumps the process itself (no clone memory, paused for the whole write)")
}

// build returns the Kudu adapter the flags describe.
func (k *kuduFlags) build() (*worker.KuduClient, error) {
	u, err := url.Parse(k.armURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: --arm-url %q is not an http(s) URL", errUsage, k.armURL)
	}
	armCfg := kudu.ARMConfig{BaseURL: k.armURL, SCMURLTemplate: k.scmTemplate}
	var base kudu.Config
	if k.auth.Azure(k.armURL) {
		cred, err := azcred.Default()
		if err != nil {
			return nil, fmt.Errorf("azure credential: %w", err)
		}
		if armCfg.Auth, err = kudu.NewBearer(cred, kudu.ARMScope); err != nil {
			return nil, err
		}
		if base.Auth, err = kudu.NewBearer(cred); err != nil {
			return nil, err
		}
	}
	arm, err := kudu.NewARM(armCfg)
	if err != nil {
		return nil, err
	}
	poll, noClone := k.stagedPoll, !k.stagedClone
	return worker.NewKuduClient(arm, base, worker.KuduOptions{
		FirstByteLimit: k.firstByteLimit,
		Staged: func(cl *kudu.Client) (kudu.Dumper, error) {
			return kudu.NewStaged(cl, kudu.StagedConfig{PollInterval: poll, NoClone: noClone})
		},
	}), nil
}

// engineFlags are the engine settings both subcommands expose.
type engineFlags struct {
	concurrency, stagedPerSite, retries int
	strategy                            string
	killMax                             int
	maxPerInstance                      int
	minBodyBytes                        int64
	minBodyWindow                       time.Duration
	killWindow, killCoolOff             time.Duration
}

func (e *engineFlags) register(fs *flag.FlagSet, defConcurrency int) {
	fs.IntVar(&e.concurrency, "concurrency", defConcurrency, "dumps in flight at once in this worker (all apps)")
	fs.IntVar(&e.stagedPerSite, "staged-per-site", worker.DefaultStagedPerSite, "staged dumps of one app in flight at once (direct dumps are always one per app)")
	fs.IntVar(&e.retries, "max-attempts", worker.DefaultMaxAttempts, "attempts per dump (transient failures only)")
	fs.StringVar(&e.strategy, "strategy", messages.StrategyDirect, "dump strategy when the job names none: direct or staged (see docs/worker.md)")
	fs.IntVar(&e.maxPerInstance, "max-targets-per-instance", worker.DefaultMaxTargetsPerInstance, "processes dumped per instance by one job, as DaaS (negative: no cap)")
	fs.Int64Var(&e.minBodyBytes, "min-body-bytes", worker.DefaultMinBodyBytes, "a dump body must bring at least this many bytes per --min-body-window, or fail")
	fs.DurationVar(&e.minBodyWindow, "min-body-window", worker.DefaultMinBodyWindow, "window of the dump body throughput floor")
	fs.IntVar(&e.killMax, "kill-max", worker.DefaultKillMax, "collect-kills allowed per app in --kill-window")
	fs.DurationVar(&e.killWindow, "kill-window", worker.DefaultKillWindow, "sliding window of the kill budget")
	fs.DurationVar(&e.killCoolOff, "kill-cool-off", worker.DefaultKillCoolOff, "kills disabled for an app this long after it exceeds its budget")
}

func (e *engineFlags) config() worker.Config {
	return worker.Config{
		Concurrency: e.concurrency, StagedPerSite: e.stagedPerSite, DefaultStrategy: e.strategy,
		MaxTargetsPerInstance: e.maxPerInstance,
		MinBodyRate:           worker.MinRate{Bytes: e.minBodyBytes, Window: e.minBodyWindow},
		Retry:                 worker.RetryPolicy{MaxAttempts: e.retries},
		KillBudget:            worker.KillBudget{Max: e.killMax, Window: e.killWindow, CoolOff: e.killCoolOff},
	}
}

// siteOf turns an ARM resource id into a messages.Site.
func siteOf(resourceID string) (messages.Site, error) {
	id, err := kudu.ParseSiteID(resourceID)
	if err != nil {
		return messages.Site{}, fmt.Errorf("%w: --app %q: %v", errUsage, resourceID, err)
	}
	s := messages.Site{ResourceID: resourceID, SubscriptionID: id.Subscription, ResourceGroup: id.ResourceGroup, Name: id.Name, Slot: id.Slot}
	if err := s.Validate(); err != nil {
		return messages.Site{}, fmt.Errorf("%w: --app %q: %v", errUsage, resourceID, err)
	}
	return s, nil
}

// blobFlags are the blob storage settings both subcommands expose.
type blobFlags struct {
	uploadMiB int
}

func (b *blobFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&b.uploadMiB, "upload-memory-mib", azureblob.DefaultUploadMemory>>20,
		fmt.Sprintf("Azure Blob: MiB of block buffers shared by all dumps uploading at once (blocks of %d MiB; about two blocks per dump in flight keep uploads streaming)", azureblob.DefaultBlockSize>>20))
}

// open opens the blob backend rawURL names with these settings.
func (b *blobFlags) open(ctx context.Context, rawURL string) (blob.Bucket, error) {
	if b.uploadMiB < azureblob.DefaultBlockSize>>20 {
		return nil, fmt.Errorf("%w: --upload-memory-mib %d is less than one block (%d MiB)", errUsage, b.uploadMiB, azureblob.DefaultBlockSize>>20)
	}
	return backend.OpenBucketOptions(ctx, rawURL, &backend.BlobOptions{UploadMemory: int64(b.uploadMiB) << 20})
}
