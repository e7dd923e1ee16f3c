package kudu

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// instanceServer answers like a front end with two instances: the
// ARRAffinity cookie picks one; an unknown id lands on instance B.
func instanceServer(t *testing.T, setCookie bool) (*Client, *recorder) {
	t.Helper()
	pick := func(r *http.Request) (id, machine string) {
		if ck, err := r.Cookie("ARRAffinity"); err == nil && ck.Value == instanceA {
			return instanceA, "MACHINE-A"
		}
		return instanceB, "MACHINE-B"
	}
	srv, rec := fakeServer(t, map[string]http.HandlerFunc{
		"GET /api/processes/0": func(w http.ResponseWriter, r *http.Request) {
			id, m := pick(r)
			if setCookie {
				http.SetCookie(w, &http.Cookie{Name: "ARRAffinity", Value: id, Path: "/"})
			}
			jsonReply(200, `{"id":7788,"name":"w3wp","machineName":"`+m+`","is_scm_site":true,"environment_variables":{"WEBSITE_INSTANCE_ID":"`+id+`"}}`)(w, r)
		},
		"GET /api/processes": func(w http.ResponseWriter, r *http.Request) {
			_, m := pick(r)
			jsonReply(200, `[{"id":4120,"name":"w3wp","machineName":"`+m+`"}]`)(w, r)
		},
	})
	return newTestClient(t, srv, nil), rec
}

func TestInstancePinningAndVerify(t *testing.T) {
	base, rec := instanceServer(t, false)
	ctx := context.Background()
	a, err := base.Instance(instanceA)
	if err != nil {
		t.Fatal(err)
	}
	id, err := a.VerifyInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if id.InstanceID != instanceA || id.MachineName != "MACHINE-A" || id.SCMPID != 7788 {
		t.Fatalf("identity %+v", id)
	}
	got := rec.all()[0].Header.Get("Cookie")
	if got != "ARRAffinity="+instanceA+"; ARRAffinitySameSite="+instanceA {
		t.Fatalf("cookie header %q", got)
	}
	if _, err := a.ListProcesses(ctx); err != nil {
		t.Fatal(err)
	}
	// The verified SCM pid is refused.
	if err := a.Kill(ctx, 7788); !errors.Is(err, ErrRefused) {
		t.Fatalf("kill SCM after verify: %v", err)
	}
	// The unpinned base client has no cookie.
	if _, err := base.VerifyInstance(ctx); err != nil {
		t.Fatal(err)
	}
	if c := rec.all()[len(rec.all())-1].Header.Get("Cookie"); c != "" {
		t.Fatalf("unpinned client sent cookie %q", c)
	}
}

func TestWrongInstanceByEnvironment(t *testing.T) {
	base, _ := instanceServer(t, false)
	gone, err := base.Instance(strings.Repeat("f", 64)) // scaled in: lands on B
	if err != nil {
		t.Fatal(err)
	}
	_, err = gone.VerifyInstance(context.Background())
	var we *WrongInstanceError
	if !errors.Is(err, ErrWrongInstance) || !errors.As(err, &we) || we.Got != instanceB || we.MachineName != "MACHINE-B" {
		t.Fatalf("got %v", err)
	}
	if IsTransient(err) {
		t.Fatal("wrong instance must not be transient")
	}
}

func TestWrongInstanceBySetCookie(t *testing.T) {
	base, _ := instanceServer(t, true)
	gone, _ := base.Instance(strings.Repeat("e", 64))
	_, err := gone.VerifyInstance(context.Background())
	var we *WrongInstanceError
	if !errors.As(err, &we) || !strings.Contains(we.Evidence, "Set-Cookie") || we.Got != instanceB {
		t.Fatalf("got %v", err)
	}
	a, _ := base.Instance(instanceA)
	if _, err := a.VerifyInstance(context.Background()); err != nil {
		t.Fatalf("matching Set-Cookie: %v", err)
	}
}

func TestWrongInstanceByMachineName(t *testing.T) {
	machine := "MACHINE-A"
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{
		"GET /api/processes/0": func(w http.ResponseWriter, r *http.Request) {
			jsonReply(200, `{"id":1,"name":"w3wp","machineName":"MACHINE-A","is_scm_site":true,"environment_variables":{"WEBSITE_INSTANCE_ID":"`+instanceA+`"}}`)(w, r)
		},
		"GET /api/processes": func(w http.ResponseWriter, r *http.Request) {
			jsonReply(200, `[{"id":4120,"name":"w3wp","machineName":"`+machine+`"}]`)(w, r)
		},
	})
	a, _ := newTestClient(t, srv, nil).Instance(instanceA)
	ctx := context.Background()
	if _, err := a.VerifyInstance(ctx); err != nil {
		t.Fatal(err)
	}
	machine = "MACHINE-Z" // the instance was replaced after verification
	if _, err := a.ListProcesses(ctx); !errors.Is(err, ErrWrongInstance) {
		t.Fatalf("got %v", err)
	}
}

func TestVerifyFallsBackToEnvironmentRoute(t *testing.T) {
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{
		"GET /api/processes/0":                                  jsonReply(200, `{"id":1,"name":"w3wp","machineName":"M","is_scm_site":true}`),
		"GET /api/processes/0/environments/WEBSITE_INSTANCE_ID": jsonReply(200, `{"WEBSITE_INSTANCE_ID":"`+strings.ToUpper(instanceA)+`"}`),
	})
	a, _ := newTestClient(t, srv, nil).Instance(instanceA)
	id, err := a.VerifyInstance(context.Background())
	if err != nil || !strings.EqualFold(id.InstanceID, instanceA) {
		t.Fatalf("%+v %v", id, err)
	}
}

func TestInstanceIDValidation(t *testing.T) {
	srv, _ := fakeServer(t, nil)
	c := newTestClient(t, srv, nil)
	for _, bad := range []string{"", "a;b", "a b", "x\r\nSet-Cookie: y", strings.Repeat("a", 300)} {
		if _, err := c.Instance(bad); err == nil {
			t.Errorf("Instance(%q) accepted", bad)
		}
	}
}
