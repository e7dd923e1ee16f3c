package validate

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// azureDir is deploy/azure relative to this package.
const azureDir = "../azure"

// bicepFile is a .bicep or .bicepparam file reduced to what the offline
// checks need. The parser is textual (no Bicep compiler is available
// offline): comments are stripped, decorators are collected up to the
// declaration they precede, and declarations are matched by keyword at
// the start of a line.
type bicepFile struct {
	Path    string // relative to azureDir, slash-separated
	Code    string // source with comments removed
	Params  []bicepParam
	Outputs []bicepOutput
	Modules []string // module and import paths, as written
}

// bicepParam is one `param` declaration (or assignment, in .bicepparam).
type bicepParam struct {
	Name       string
	Line       int
	Decorators string // every decorator text before the declaration
	Default    string // expression after '=', "" when none
	Secure     bool
}

// bicepOutput is one `output` declaration.
type bicepOutput struct {
	Name       string
	Line       int
	Decorators string
	Expr       string
}

var (
	reParam  = regexp.MustCompile(`^param\s+([A-Za-z_]\w*)\b(.*)$`)
	reOutput = regexp.MustCompile(`^output\s+([A-Za-z_]\w*)\s+\w+\s*=\s*(.*)$`)
	reModule = regexp.MustCompile(`^(?:module\s+\w+\s+|import\s+.*\s+from\s+|using\s+)'([^']+)'`)
)

// stripComments removes // and /* */ comments outside single-quoted
// strings (Bicep strings use ' with \' escapes).
func stripComments(src string) string {
	var b strings.Builder
	inStr, inBlock := false, false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case inBlock:
			if c == '*' && i+1 < len(src) && src[i+1] == '/' {
				inBlock = false
				i++
			} else if c == '\n' {
				b.WriteByte(c)
			}
		case inStr:
			b.WriteByte(c)
			if c == '\\' && i+1 < len(src) {
				i++
				b.WriteByte(src[i])
			} else if c == '\'' {
				inStr = false
			}
		case c == '\'':
			inStr = true
			b.WriteByte(c)
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			if i < len(src) {
				b.WriteByte('\n')
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			inBlock = true
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// depth returns the bracket nesting change of one line, ignoring strings.
func depth(line string) int {
	d, inStr := 0, false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case inStr && c == '\\':
			i++
		case c == '\'':
			inStr = !inStr
		case inStr:
		case c == '(' || c == '[' || c == '{':
			d++
		case c == ')' || c == ']' || c == '}':
			d--
		}
	}
	return d
}

// parseBicep reads and parses one file.
func parseBicep(path string) (*bicepFile, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(azureDir, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = filepath.Base(path)
	}
	f := &bicepFile{Path: filepath.ToSlash(rel), Code: stripComments(string(raw))}
	var pending strings.Builder
	decoDepth := 0
	sc := bufio.NewScanner(strings.NewReader(f.Code))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case decoDepth > 0:
			pending.WriteString(line + "\n")
			decoDepth += depth(line)
		case line == "":
		case strings.HasPrefix(line, "@"):
			pending.WriteString(line + "\n")
			decoDepth = depth(line)
		default:
			deco := pending.String()
			pending.Reset()
			if m := reParam.FindStringSubmatch(line); m != nil {
				p := bicepParam{Name: m[1], Line: n, Decorators: deco, Secure: strings.Contains(deco, "@secure(")}
				if _, def, ok := strings.Cut(m[2], "="); ok {
					p.Default = strings.TrimSpace(def)
				}
				f.Params = append(f.Params, p)
			} else if m := reOutput.FindStringSubmatch(line); m != nil {
				f.Outputs = append(f.Outputs, bicepOutput{Name: m[1], Line: n, Decorators: deco, Expr: m[2]})
			}
			if m := reModule.FindStringSubmatch(line); m != nil {
				f.Modules = append(f.Modules, m[1])
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if decoDepth != 0 {
		return nil, fmt.Errorf("%s: unbalanced brackets in a decorator", path)
	}
	return f, nil
}

// bicepFiles parses every .bicep and .bicepparam file under deploy/azure.
func bicepFiles() ([]*bicepFile, error) {
	var files []*bicepFile
	err := filepath.WalkDir(azureDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(path); ext != ".bicep" && ext != ".bicepparam" {
			return nil
		}
		f, err := parseBicep(path)
		if err != nil {
			return err
		}
		files = append(files, f)
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, err
}

// reTypeVersion matches 'Provider.Namespace/type[/child…]@yyyy-mm-dd[-preview]'.
var reTypeVersion = regexp.MustCompile(`'([A-Za-z]+\.[A-Za-z]+(?:/[A-Za-z]+)+)@(\d{4}-\d{2}-\d{2}(?:-preview)?)'`)

// apiVersions maps "type@version" to the files using it.
func apiVersions(files []*bicepFile) map[string][]string {
	out := map[string][]string{}
	for _, f := range files {
		for _, m := range reTypeVersion.FindAllStringSubmatch(f.Code, -1) {
			k := m[1] + "@" + m[2]
			if !slices.Contains(out[k], f.Path) {
				out[k] = append(out[k], f.Path)
			}
		}
	}
	for _, paths := range out {
		sort.Strings(paths)
	}
	return out
}

// versionsTable renders the README table of resource types.
func versionsTable(v map[string][]string) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	typeOf := func(k string) string { t, _, _ := strings.Cut(k, "@"); return strings.ToLower(t) }
	sort.Slice(keys, func(i, j int) bool { return typeOf(keys[i]) < typeOf(keys[j]) })
	var b bytes.Buffer
	b.WriteString("| resource type | api-version | used in |\n|---|---|---|\n")
	for _, k := range keys {
		typ, ver, _ := strings.Cut(k, "@")
		fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", typ, ver, strings.Join(v[k], ", "))
	}
	return b.String()
}
