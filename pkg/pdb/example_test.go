package pdb_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/dumpflow/dumpflow/pkg/pdb"
)

// Find an executable's PDB in a Microsoft symbol-store layout
// (<pdb>/<GUID+age>/<pdb>) and list its functions with their RVAs. (No
// Output comment: it needs a real image and store, so it is compiled but
// not run; llvm_test.go runs the same steps on the test PDBs.)
func ExampleReadCodeView() {
	exe, err := os.Open(`app.exe`)
	if err != nil {
		log.Fatal(err)
	}
	defer exe.Close()
	cv, err := pdb.ReadCodeView(exe)
	if err != nil {
		log.Fatal(err) // errors.Is(err, pdb.ErrNoCodeView): linked without /DEBUG
	}
	name := cv.PDBName[strings.LastIndexAny(cv.PDBName, `\/`)+1:]
	f, err := pdb.Open(filepath.Join("symstore", name, cv.DebugID(), name))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	fns, err := f.Functions()
	if err != nil {
		log.Fatal(err)
	}
	for _, fn := range fns {
		fmt.Printf("%#x %d %s\n", fn.RVA, fn.Size, fn.Name)
	}
}
