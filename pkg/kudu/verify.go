package kudu

import (
	"context"
	"fmt"
	"strings"
)

// envInstanceID is the variable that names an instance (docs/kudu.md).
const envInstanceID = "WEBSITE_INSTANCE_ID"

// VerifyInstance asks the instance that answers who it is, through the
// Kudu process's own detail (GET /api/processes/0: machineName,
// WEBSITE_INSTANCE_ID and the SCM pid), and for a pinned client checks
// that it is the pinned instance; if not, the error matches
// ErrWrongInstance (the front end silently routes unknown ids elsewhere).
// On success the client remembers the identity: later answers from another
// machine fail with ErrWrongInstance, and Kill refuses the SCM pid.
func (cl *Client) VerifyInstance(ctx context.Context) (Identity, error) {
	p, err := cl.Process(ctx, PIDSCM)
	if err != nil {
		return Identity{}, err
	}
	cl.markSCM(p.ID)
	id := Identity{MachineName: p.MachineName, SCMPID: p.ID}
	for k, v := range p.Environment {
		if strings.EqualFold(k, envInstanceID) {
			id.InstanceID = v
		}
	}
	if id.InstanceID == "" {
		// The detail may omit the environment (ARM mode filters it).
		env, err := cl.Environment(ctx, PIDSCM, envInstanceID)
		if err != nil {
			return Identity{}, err
		}
		for k, v := range env {
			if strings.EqualFold(k, envInstanceID) {
				id.InstanceID = v
			}
		}
	}
	if want := cl.c.instance; want != "" {
		if id.InstanceID == "" {
			return Identity{}, fmt.Errorf("kudu: verify instance: %w", &WrongInstanceError{
				Want: want, MachineName: id.MachineName, Evidence: envInstanceID + " not reported"})
		}
		if !strings.EqualFold(id.InstanceID, want) {
			return Identity{}, fmt.Errorf("kudu: verify instance: %w", &WrongInstanceError{
				Want: want, Got: id.InstanceID, MachineName: id.MachineName, Evidence: envInstanceID})
		}
	}
	cl.mu.Lock()
	cl.ident = &id
	cl.mu.Unlock()
	return id, nil
}

// checkMachine fails when a pinned, verified client sees an answer from
// another machine.
func (cl *Client) checkMachine(machine string) error {
	if cl.c.instance == "" || machine == "" {
		return nil
	}
	cl.mu.Lock()
	ident := cl.ident
	cl.mu.Unlock()
	if ident == nil || ident.MachineName == "" || strings.EqualFold(ident.MachineName, machine) {
		return nil
	}
	return &WrongInstanceError{Want: cl.c.instance, MachineName: machine,
		Evidence: "machineName differs from the verified " + ident.MachineName}
}
