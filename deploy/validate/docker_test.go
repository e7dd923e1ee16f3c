package validate

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"
)

const dockerfile = "../docker/Dockerfile"

// dockerStage is one FROM … AS name stage with its instructions.
type dockerStage struct {
	From  string
	Lines []string // instructions, continuation lines joined
}

// parseDockerfile returns the stages by name ("" for unnamed ones is not
// kept) in a flat, continuation-joined form.
func parseDockerfile(t *testing.T) map[string]*dockerStage {
	t.Helper()
	f, err := os.Open(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stages := map[string]*dockerStage{}
	var cur *dockerStage
	var buf strings.Builder
	reFrom := regexp.MustCompile(`(?i)^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			buf.WriteString(s + " ")
			continue
		}
		buf.WriteString(line)
		ins := buf.String()
		buf.Reset()
		if m := reFrom.FindStringSubmatch(ins); m != nil {
			cur = &dockerStage{From: m[1]}
			if m[2] != "" {
				stages[strings.ToLower(m[2])] = cur
			}
			continue
		}
		if cur != nil {
			cur.Lines = append(cur.Lines, ins)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return stages
}

func (s *dockerStage) has(re string) bool {
	r := regexp.MustCompile(re)
	for _, l := range s.Lines {
		if r.MatchString(l) {
			return true
		}
	}
	return false
}

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t)
	b := stages["build"]
	if b == nil {
		t.Fatal("no build stage")
	}
	if !b.has(`CGO_ENABLED=0`) || !b.has(`-trimpath`) {
		t.Error("build stage must compile static (CGO_ENABLED=0) with -trimpath")
	}
	rt := stages["runtime"]
	if rt == nil {
		t.Fatal("no runtime stage")
	}
	if !strings.Contains(rt.From, "BASE_IMAGE") {
		t.Errorf("runtime stage FROM %s, want ${BASE_IMAGE} (distroless static nonroot)", rt.From)
	}
	if !rt.has(`^USER 65532:65532$`) {
		t.Error("runtime stage must run as the numeric nonroot user 65532:65532")
	}
	for _, label := range []string{"version", "revision", "created", "source"} {
		if !rt.has(`org\.opencontainers\.image\.` + label + `=`) {
			t.Errorf("runtime stage lacks label org.opencontainers.image.%s", label)
		}
	}
	for name := range services {
		s := stages[name]
		if s == nil {
			t.Errorf("no %q target", name)
			continue
		}
		if s.From != "runtime" {
			t.Errorf("target %s FROM %s, want runtime", name, s.From)
		}
		if !s.has(`org\.opencontainers\.image\.title="dumpflow-` + name + `"`) {
			t.Errorf("target %s: title label must be dumpflow-%s (the image name the manifests use)", name, name)
		}
		if !s.has(`^COPY --from=build /out/`+name+` /usr/local/bin/`+name+`$`) ||
			!s.has(`^ENTRYPOINT \["/usr/local/bin/`+name+`"\]$`) {
			t.Errorf("target %s must copy and run only /usr/local/bin/%s", name, name)
		}
		if s.has(`^USER `) {
			t.Errorf("target %s overrides USER", name)
		}
	}
	if _, err := os.Stat(dockerfile + ".dockerignore"); err != nil {
		t.Errorf("missing %s.dockerignore: %v", dockerfile, err)
	}
}
