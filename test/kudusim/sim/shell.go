package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// shell is the part of cmd.exe that /api/command runs in the simulator
// (Kudu runs the line through starter.cmd, i.e. under cmd.exe rules):
// %VAR% expansion over Kudu's environment plus the deployment variables,
// the operators &, && and ||, the built-ins echo, set, cd, dir, if, mkdir,
// del and exit, cmd /c, and ProcDump. Anything else is "not recognized"
// with errorlevel 9009, as cmd.exe answers. It models what dumpflow's
// staged strategy and Kudu's CommandExecutorTests use, not cmd.exe.
type shell struct {
	s    *Server
	a    *app
	in   *instance
	env  cmdEnv
	cwd  string // relative to %HOME%, cleanPath form
	line string // the line as posted (ProcDump's command line)

	out, errs strings.Builder
	code      int
	exited    bool
}

// cmdEnv is an environment block: names are case-insensitive.
type cmdEnv map[string][2]string // upper-case name -> {name, value}

func (e cmdEnv) get(name string) (string, bool) {
	v, ok := e[strings.ToUpper(name)]
	return v[1], ok
}

func (e cmdEnv) set(name, value string) {
	if value == "" {
		delete(e, strings.ToUpper(name))
		return
	}
	e[strings.ToUpper(name)] = [2]string{name, value}
}

// expand replaces each %NAME% of a defined variable by its value; other
// text stays as it is, an undefined %NAME% included, and the scan goes on
// after its closing percent sign (cmd.exe's command-line rule).
func (e cmdEnv) expand(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			break
		}
		name := s[i+1 : i+1+j]
		if v, ok := e.get(name); ok && name != "" {
			b.WriteString(s[:i])
			b.WriteString(v)
			s = s[i+2+j:]
			continue
		}
		b.WriteString(s[:i+2+j]) // %NAME% stays, and scanning goes on after it
		s = s[i+2+j:]
	}
	b.WriteString(s)
	return b.String()
}

// commandEnv is the environment of a command: Kudu's process environment
// plus the deployment variables Kudu's command executor adds (the ones
// CommandExecutorTests.CommandExecutorTest checks). The caller holds s.mu.
func commandEnv(a *app, in *instance) cmdEnv {
	e := cmdEnv{}
	if k := in.kudu(); k != nil {
		for n, v := range k.env {
			e.set(n, v)
		}
	}
	kuduBin := `C:\Program Files (x86)\SiteExtensions\Kudu\` + kuduVersion + `\bin`
	for n, v := range map[string]string{
		"HOME":                         homeRoot,
		"DEPLOYMENT_SOURCE":            homeRoot + `\site\repository`,
		"DEPLOYMENT_TARGET":            homeRoot + `\site\wwwroot`,
		"DEPLOYMENT_TEMP":              `C:\local\Temp\` + a.pool(),
		"KUDU_SYNC_CMD":                `"` + kuduBin + `\node_modules\kudusync\bin\kudusync.cmd"`,
		"KUDU_SELECT_NODE_VERSION_CMD": `"` + kuduBin + `\Scripts\selectNodeVersion.cmd"`,
		"NPM_JS_PATH":                  `C:\Program Files (x86)\npm\6.14.15\node_modules\npm\bin\npm-cli.js`,
		"MSBUILD_PATH":                 `C:\Program Files (x86)\MSBuild\14.0\Bin\MSBuild.exe`,
		"EnableNuGetPackageRestore":    "true",
		"PATH":                         `C:\Windows\system32;C:\Windows;` + kuduBin + `\Scripts;C:\Program Files\Git\cmd;C:\Program Files\Git\usr\bin;C:\Program Files (x86)\nodejs\16.20.2;D:\devtools\sysinternals`,
		"SystemDrive":                  "C:",
		"TMP":                          `C:\local\Temp`,
		"TEMP":                         `C:\local\Temp`,
	} {
		e.set(n, v)
	}
	return e
}

// run executes a whole line and returns Kudu's CommandResult.
func (sh *shell) run(line string) commandResult {
	if res, aborted := sh.exec(sh.env.expand(line)); aborted {
		return res
	}
	return commandResult{Output: strp(sh.out.String()), Error: sh.errs.String(), ExitCode: sh.code}
}

// exec runs an expanded line: commands joined by &, && and ||. aborted
// reports that a command was killed by Kudu (its result replaces the
// line's).
func (sh *shell) exec(line string) (commandResult, bool) {
	parts, ops := splitOperators(line)
	for i, p := range parts {
		if i > 0 && (ops[i-1] == "&&" && sh.code != 0 || ops[i-1] == "||" && sh.code == 0) {
			continue
		}
		if res, aborted := sh.one(strings.TrimLeft(p, " \t")); aborted {
			return res, true
		}
		if sh.exited {
			break
		}
	}
	return commandResult{}, false
}

// splitOperators splits a line at &, && and || outside double quotes.
func splitOperators(line string) (parts, ops []string) {
	inQ, start := false, 0
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '"':
			inQ = !inQ
		case inQ:
		case c == '&' || c == '|' && i+1 < len(line) && line[i+1] == '|':
			op := string(c)
			if i+1 < len(line) && line[i+1] == c {
				op += string(c)
			}
			parts, ops = append(parts, line[start:i]), append(ops, op)
			i += len(op) - 1
			start = i + 1
		}
	}
	return append(parts, line[start:]), ops
}

func (sh *shell) fail(code int, format string, args ...any) {
	fmt.Fprintf(&sh.errs, format, args...)
	sh.code = code
}

// one runs a single command.
func (sh *shell) one(cmd string) (commandResult, bool) {
	if strings.TrimSpace(cmd) == "" {
		return commandResult{}, false
	}
	word, raw, _ := strings.Cut(cmd, " ")
	rest := strings.TrimSpace(raw)
	switch strings.ToLower(word) {
	case "cmd", "cmd.exe":
		if flag, r, _ := strings.Cut(strings.TrimLeft(raw, " \t"), " "); strings.EqualFold(flag, "/c") {
			return sh.exec(strings.TrimLeft(r, " \t"))
		}
	case "echo": // prints the rest as written, trailing blanks included
		if rest == "" {
			sh.out.WriteString("ECHO is on.\r\n")
		} else {
			sh.out.WriteString(raw + "\r\n")
		}
		sh.code = 0
		return commandResult{}, false
	case "set":
		sh.set(rest)
		return commandResult{}, false
	case "cd", "chdir":
		sh.cd(rest)
		return commandResult{}, false
	case "dir":
		sh.dir(rest)
		return commandResult{}, false
	case "if":
		return sh.cmdIf(rest)
	case "mkdir", "md":
		sh.mkdir(rest)
		return commandResult{}, false
	case "del", "erase":
		sh.del(rest)
		return commandResult{}, false
	case "exit":
		f := strings.Fields(rest)
		if len(f) > 0 && strings.EqualFold(f[0], "/b") {
			f = f[1:]
		}
		sh.code = 0
		if len(f) > 0 {
			sh.code, _ = strconv.Atoi(f[0])
		}
		sh.exited = true
		return commandResult{}, false
	}
	args := splitCommand(cmd)
	if len(args) == 0 {
		return commandResult{}, false
	}
	switch strings.TrimSuffix(strings.ToLower(baseName(args[0])), ".exe") {
	case "procdump", "procdump64":
		res := sh.s.procdump(sh.a, sh.in, sh.line, args[1:], sh.cwd)
		if res.Output == nil {
			return res, true
		}
		sh.out.WriteString(*res.Output)
		sh.errs.WriteString(res.Error)
		sh.code = res.ExitCode
		return commandResult{}, false
	}
	sh.fail(9009, "'%s' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", args[0])
	return commandResult{}, false
}
