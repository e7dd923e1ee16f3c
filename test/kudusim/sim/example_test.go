package sim_test

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// A test embeds the simulator like httptest.Server, reads what it serves
// from Info, and talks to an app's Kudu pinned to one instance.
func ExampleNew() {
	srv, err := sim.New(sim.Config{Apps: 1, Instances: 2, Child: "dotnet", DumpSize: 8 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	app := srv.Info().Apps[0]
	req, _ := http.NewRequest(http.MethodGet, app.SCMURL+"/api/processes", nil)
	req.AddCookie(&http.Cookie{Name: "ARRAffinity", Value: app.Instances[1]})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()
	var list []struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range list {
		fmt.Println(p.Name)
	}
	// Output:
	// dotnet
	// w3wp
	// w3wp
}
