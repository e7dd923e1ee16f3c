package kudu_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/dumpflow/dumpflow/pkg/kudu"
)

// fakeKudu answers like one Kudu instance (shapes from kudu-api.md).
func fakeKudu() *httptest.Server {
	const inst = "8d3f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/processes/0", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"id":7788,"name":"w3wp","machineName":"DW1SDWK00003C","is_scm_site":true,"environment_variables":{"WEBSITE_INSTANCE_ID":%q}}`, inst)
	})
	mux.HandleFunc("GET /api/processes", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `[{"id":4120,"name":"w3wp","machineName":"DW1SDWK00003C"},{"id":7788,"name":"w3wp","machineName":"DW1SDWK00003C"}]`)
	})
	mux.HandleFunc("GET /api/processes/4120/dump", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Disposition", "attachment; filename=w3wp-8d3f0a-04-15-13-22-05.dmp")
		fmt.Fprint(w, "MDMP and the rest of the dump")
	})
	return httptest.NewServer(mux)
}

// Pin a client to one instance, verify it, pick a process and stream its
// dump.
func Example_dump() {
	srv := fakeKudu()
	defer srv.Close()
	ctx := context.Background()

	site, err := kudu.New(kudu.Config{SCMURL: srv.URL}) // Auth: kudu.NewBearer(cred) in production
	if err != nil {
		panic(err)
	}
	cl, err := site.Instance("8d3f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7")
	if err != nil {
		panic(err)
	}
	id, err := cl.VerifyInstance(ctx)
	if err != nil {
		panic(err) // errors.Is(err, kudu.ErrWrongInstance) when the instance is gone
	}
	fmt.Println("verified", id.MachineName, "kudu pid", id.SCMPID)

	procs, err := cl.ListProcesses(ctx)
	if err != nil {
		panic(err)
	}
	for _, p := range procs {
		var dumper kudu.Dumper = cl // or kudu.NewStaged(cl, kudu.StagedConfig{})
		d, err := dumper.Dump(ctx, p.ID, kudu.DumpOptions{Type: kudu.DumpFull})
		if errors.Is(err, kudu.ErrRefused) {
			fmt.Println("refused to dump", p.ID)
			continue
		}
		if err != nil {
			panic(err)
		}
		n, err := io.Copy(io.Discard, d.Body) // in dumpflow: into a blob writer
		d.Body.Close()
		fmt.Println("dumped", p.ID, d.FileName, n, err)
	}
	// Output:
	// verified DW1SDWK00003C kudu pid 7788
	// dumped 4120 w3wp-8d3f0a-04-15-13-22-05.dmp 29 <nil>
	// refused to dump 7788
}
