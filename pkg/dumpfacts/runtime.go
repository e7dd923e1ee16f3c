package dumpfacts

import (
	"strings"

	"github.com/dumpflow/dumpflow/pkg/minidump"
)

// runtimeModules maps a module's lower-case file name to the runtime or
// host it reveals.
var runtimeModules = []struct{ module, name string }{
	{"coreclr.dll", ".NET"},
	{"clr.dll", ".NET Framework"},
	{"mscorwks.dll", ".NET Framework 2.0"},
	{"aspnetcorev2.dll", "ASP.NET Core Module"},
	{"aspnetcorev2_inprocess.dll", "ASP.NET Core in-process host"},
	{"iiscore.dll", "IIS"},
	{"node.exe", "Node.js"},
	{"libnode.dll", "Node.js"},
	{"java.exe", "Java"},
	{"jvm.dll", "Java (HotSpot JVM)"},
	{"php-cgi.exe", "PHP"},
	{"php.exe", "PHP"},
	{"python.exe", "Python"},
}

// detectRuntimes lists the runtimes whose modules are loaded, in the order
// of runtimeModules.
func detectRuntimes(mods []minidump.Module) []Runtime {
	out := []Runtime{}
	for _, rm := range runtimeModules {
		for i := range mods {
			if strings.EqualFold(mods[i].BaseName(), rm.module) {
				rt := Runtime{Name: rm.name, Module: mods[i].BaseName()}
				if v := mods[i].Version; v != nil {
					s := v.FileVersion()
					rt.Version = &s
					if rm.module == "coreclr.dll" {
						// coreclr's file version is the product major.minor.
						rt.Name = ".NET " + strings.Join(strings.SplitN(s, ".", 3)[:2], ".")
					}
				}
				out = append(out, rt)
				break
			}
		}
	}
	return out
}
