package sim

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplitOperators(t *testing.T) {
	for _, tc := range []struct {
		line       string
		parts, ops []string
	}{
		{"a", []string{"a"}, nil},
		{"a & b&&c || d", []string{"a ", " b", "c ", " d"}, []string{"&", "&&", "||"}},
		{`echo "x & y" & z`, []string{`echo "x & y" `, " z"}, []string{"&"}},
		{"a | b", []string{"a | b"}, nil}, // a pipe is not an operator here
	} {
		parts, ops := splitOperators(tc.line)
		if !reflect.DeepEqual(parts, tc.parts) || !reflect.DeepEqual(ops, tc.ops) {
			t.Errorf("%q: %q %q, want %q %q", tc.line, parts, ops, tc.parts, tc.ops)
		}
	}
}

func TestExpand(t *testing.T) {
	e := cmdEnv{}
	e.set("Home", `D:\home`)
	for in, want := range map[string]string{
		`%HOME%\x`:        `D:\home\x`,
		`%home%%HOME%`:    `D:\homeD:\home`,
		`%NOPE%\%HOME%`:   `%NOPE%\D:\home`,
		`100% sure`:       `100% sure`,
		`%%`:              `%%`,
		`a%HOME`:          `a%HOME`,
		`%NOPE%HOME%`:     `%NOPE%HOME%`, // the scan resumes after %NOPE%
		"":                "",
		`%HOME%%NOPE%%Q%`: `D:\home%NOPE%%Q%`,
	} {
		if got := e.expand(in); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzShell runs arbitrary command lines through the simulated cmd.exe:
// it must never panic, and every line yields a result with Output set
// (no idle abort without ProcDump) or an abort result.
func FuzzShell(f *testing.F) {
	for _, seed := range []string{
		"echo hi", "set", "set HOME", "set X=1 & echo %X%", `if exist "%HOME%\site" echo y`,
		`if /i not "a"=="A" echo n`, "if errorlevel 1 echo e", "dir site", "cd LogFiles && cd",
		"mkdir data\\x && del data\\x\\y.txt", "cmd /c cmd /c echo deep", "exit /b 7", "frob || echo z",
		`procdump -ma 1 x.dmp`, "if", "if not", `if "a`, "%", "&&&", "||", `""`, "cd /d ..\\..",
	} {
		f.Add(seed, "")
	}
	f.Add("dir", `.\site`)
	s, err := New(Config{DumpSize: 1 << 20, DumpWriteTime: -1})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	a := s.apps[0]
	in := a.instances[0]
	f.Fuzz(func(t *testing.T, line, dir string) {
		if len(line) > 4096 || strings.Contains(strings.ToLower(line), "procdump") {
			return // ProcDump writes real (simulated) dumps: covered by its own tests
		}
		s.mu.Lock()
		env := commandEnv(a, in)
		s.mu.Unlock()
		cwd, ok := expandHome(env.expand(dir), "")
		if !ok {
			cwd = ""
		}
		sh := &shell{s: s, a: a, in: in, env: env, cwd: cwd, line: line}
		res := sh.run(line)
		if res.Output == nil {
			t.Fatalf("%q: no Output without an abort: %+v", line, res)
		}
	})
}
