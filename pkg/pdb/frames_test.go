package pdb

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

var fpoRow = regexp.MustCompile(`^[0-9A-F]{8} \|`)

// TestFrameDataMatchesLLVM compares FrameData with the "New FPO Data"
// table of `llvm-pdbutil dump -fpo`, every column including the program.
// test-pdb-types.pdb has no frame data, which must read as none.
func TestFrameDataMatchesLLVM(t *testing.T) {
	for _, name := range realPDBNames {
		t.Run(name, func(t *testing.T) {
			f := openShared(t, name)
			var want []string
			inNew := false
			for _, l := range expected(t, name, "fpo") {
				if strings.Contains(l, "New FPO Data") {
					inNew = true
				}
				if !inNew || !fpoRow.MatchString(l) {
					continue
				}
				cells := strings.SplitN(l, "|", 11)
				if len(cells) != 11 {
					t.Fatalf("unexpected row %q", l)
				}
				for i := range 10 {
					cells[i] = strings.TrimSpace(cells[i])
				}
				cells[10] = strings.TrimPrefix(cells[10], " ") // the program, trailing spaces kept
				want = append(want, strings.Join(cells, "|"))
			}
			fd, err := f.FrameData()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range fd {
				got = append(got, fmt.Sprintf("%08X|%d|%d|%d|%d|%d|%d|%t|%t|%t|%s", r.RVA, r.CodeSize, r.LocalSize,
					r.ParamsSize, r.MaxStackSize, r.PrologSize, r.SavedRegsSize, r.HasSEH, r.HasCPPEH, r.IsFunctionStart, r.Program))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("frame data differs from llvm-pdbutil:\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if name == "test-pdb" && len(want) == 0 {
				t.Error("test-pdb.pdb's expected output lost its frame data rows")
			}
			fpo, err := f.FPO()
			if err != nil || len(fpo) != 0 {
				t.Errorf("FPO = %v, %v; llvm-pdbutil says the stream is not present", fpo, err)
			}
		})
	}
}

func TestFramesMalformed(t *testing.T) {
	s := defaultSpec()
	s.withFrames = true
	for _, c := range []struct {
		name string
		edit func(st [][]byte) [][]byte
		fpo  bool
		want string
	}{
		{"frame data size", func(st [][]byte) [][]byte { st[synthFrameStream] = st[synthFrameStream][:31]; return st }, false, "not a multiple of 32"},
		{"program offset", func(st [][]byte) [][]byte {
			b := bytes.Clone(st[synthFrameStream])
			le.PutUint32(b[20:], 0x7FFFFFFF)
			st[synthFrameStream] = b
			return st
		}, false, "offset outside the table"},
		{"FPO size", func(st [][]byte) [][]byte { st[synthFPOStream] = st[synthFPOStream][:15]; return st }, true, "not a multiple of 16"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := mustNewFile(t, buildPDBWith(s, c.edit))
			var err error
			if c.fpo {
				_, err = f.FPO()
			} else {
				_, err = f.FrameData()
			}
			if !errors.Is(err, ErrFormat) || !strings.Contains(fmt.Sprint(err), c.want) {
				t.Errorf("error %v, want ErrFormat saying %q", err, c.want)
			}
		})
	}
}
