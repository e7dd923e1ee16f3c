package conformance

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

const fileContent0 = "aaa\r\nbbb\r\nccc\r\n"

// TestVfsControllerTest_VfsIntegrationTest is Kudu.FunctionalTests/Vfs/VfsControllerTest.cs,
// VfsIntegrationTest: VfsControllerBaseTest.RunIntegrationTest with
// testConflictingUpdates false, against VfsManager's base …/api/vfs, then
// VfsControllerSuite's directory creation.
func TestVfsControllerTest_VfsIntegrationTest(t *testing.T) {
	_, a := newSim(t, sim.Config{})
	c := newClient(t, a.Instances[0])
	nc := c.noFollow()
	baseAddress := a.SCMURL + "/api/vfs"
	dirAddress := baseAddress + "/3f2a9c0e5b7d4e1f8a6b2c9d0e1f2a3b"
	dir := dirAddress + "/"
	fileAddress := dir + "6c1d2e3f4a5b4c6d8e7f9a0b1c2d3e4f.txt"
	fileSlash := fileAddress + "/"

	// "Check not found file responses".
	for _, u := range []string{dirAddress, dir, fileAddress, fileSlash} {
		wantStatus(t, "GET "+u, c.get(u), http.StatusNotFound)
	}

	// "Check create file results in 201 response with etag" (and
	// Last-Modified: the test asserts it outside the SCM editor case).
	r := c.send(http.MethodPut, fileAddress, fileContent0, "Content-Type", "text/plain")
	wantStatus(t, "create", r, http.StatusCreated)
	originalEtag, lastModified := r.header.Get("ETag"), r.header.Get("Last-Modified")
	if originalEtag == "" || lastModified == "" {
		t.Fatalf("create: ETag %q Last-Modified %q", originalEtag, lastModified)
	}

	// "Check that we get a 200 (OK) on created file with the correct etag"
	// with the same Last-Modified and Content-Type exactly text/plain.
	r = c.get(fileAddress)
	wantStatus(t, "GET file", r, http.StatusOK)
	if r.header.Get("ETag") != originalEtag || r.header.Get("Last-Modified") != lastModified || r.header.Get("Content-Type") != "text/plain" {
		t.Errorf("GET file headers: ETag %q Last-Modified %q Content-Type %q", r.header.Get("ETag"), r.header.Get("Last-Modified"), r.header.Get("Content-Type"))
	}
	if r.str() != fileContent0 {
		t.Errorf("GET file body %q", r.body)
	}

	// "… using HEAD with the correct etag".
	r = c.send(http.MethodHead, fileAddress, "")
	wantStatus(t, "HEAD file", r, http.StatusOK)
	if r.header.Get("ETag") != originalEtag || r.header.Get("Content-Type") != "text/plain" {
		t.Errorf("HEAD headers %v", r.header)
	}

	// "Check that we get a 304 (Not Modified) response if matching
	// If-None-Match", then 200 for a tag that does not match.
	r = c.get(fileAddress, "If-None-Match", originalEtag)
	wantStatus(t, "If-None-Match current", r, http.StatusNotModified)
	if r.header.Get("ETag") != originalEtag {
		t.Errorf("304 ETag %q", r.header.Get("ETag"))
	}
	r = c.get(fileAddress, "If-None-Match", `"NotMatching"`)
	wantStatus(t, "If-None-Match other", r, http.StatusOK)
	if r.header.Get("ETag") != originalEtag {
		t.Errorf("200 ETag %q", r.header.Get("ETag"))
	}

	// "Check that If-Range request with range returns 206", "… with no
	// range returns 200", "… with bad range returns 416" with
	// Content-Range: bytes */length.
	r = c.get(fileAddress, "If-Range", originalEtag, "Range", "bytes=0-0")
	wantStatus(t, "If-Range 0-0", r, http.StatusPartialContent)
	if r.header.Get("ETag") != originalEtag || r.header.Get("Content-Length") != "1" || r.header.Get("Content-Range") != "bytes 0-0/15" {
		t.Errorf("206 headers %v", r.header)
	}
	r = c.get(fileAddress, "If-Range", originalEtag)
	wantStatus(t, "If-Range without Range", r, http.StatusOK)
	if r.header.Get("ETag") != originalEtag {
		t.Errorf("If-Range 200 ETag %q", r.header.Get("ETag"))
	}
	r = c.get(fileAddress, "If-Range", originalEtag, "Range", "bytes=100-100")
	wantStatus(t, "If-Range 100-100", r, http.StatusRequestedRangeNotSatisfiable)
	if r.header.Get("Content-Range") != "bytes */15" {
		t.Errorf("416 Content-Range %q", r.header.Get("Content-Range"))
	}

	// "Check that we get a root directory view" and "… a directory view
	// from folder" (the client follows the 307s).
	for _, u := range []string{baseAddress, dirAddress} {
		if ct := c.get(u).header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", u, ct)
		}
	}

	// "Check various redirects between files and folders".
	for _, tc := range []struct{ from, to string }{{baseAddress, baseAddress + "/"}, {dirAddress, dir}, {fileSlash, fileAddress}} {
		r := nc.get(tc.from)
		if r.status != http.StatusTemporaryRedirect || r.header.Get("Location") != tc.to {
			t.Errorf("GET %s: %d Location %q, want 307 %q", tc.from, r.status, r.header.Get("Location"), tc.to)
		}
	}

	// "Check that 2nd create attempt fails": no If-Match on an existing
	// file is the ETag-mismatch answer, carrying the current ETag.
	r = c.send(http.MethodPut, fileAddress, fileContent0, "Content-Type", "text/plain")
	wantStatus(t, "2nd create", r, http.StatusPreconditionFailed)
	if r.header.Get("ETag") != originalEtag {
		t.Errorf("2nd create ETag %q, want %q", r.header.Get("ETag"), originalEtag)
	}

	// "Check that we can't update a directory" and "… can't delete a
	// non-empty directory" (no trailing slash on either).
	wantStatus(t, "PUT dir", c.send(http.MethodPut, dirAddress, fileContent0), http.StatusConflict)
	wantStatus(t, "DELETE non-empty dir", c.send(http.MethodDelete, dirAddress, ""), http.StatusConflict)

	// "Check that update with correct etag generates 204 Response with new etag".
	r = c.send(http.MethodPut, fileAddress, "AAA\r\nbbb\r\nccc\r\n", "If-Match", originalEtag)
	wantStatus(t, "update", r, http.StatusNoContent)
	updatedEtag := r.header.Get("ETag")
	if updatedEtag == "" || updatedEtag == originalEtag {
		t.Fatalf("update ETag %q (original %q)", updatedEtag, originalEtag)
	}

	// "Check that 2nd create attempt fails" (stale tag) and "Check that
	// update with invalid etag fails": 412 with the current ETag.
	for _, tag := range []string{originalEtag, `"invalidetag"`} {
		r = c.send(http.MethodPut, fileAddress, "x", "If-Match", tag)
		wantStatus(t, "PUT If-Match "+tag, r, http.StatusPreconditionFailed)
		if r.header.Get("ETag") != updatedEtag {
			t.Errorf("412 ETag %q, want %q", r.header.Get("ETag"), updatedEtag)
		}
	}

	// "Check that update with wildcard etag succeeds".
	r = c.send(http.MethodPut, fileAddress, "AAA\r\nbbb\r\nccc\r\n", "If-Match", "*")
	wantStatus(t, "update *", r, http.StatusNoContent)
	if r.header.Get("ETag") == "" || r.header.Get("ETag") == originalEtag {
		t.Errorf("update * ETag %q", r.header.Get("ETag"))
	}
	updatedEtag = r.header.Get("ETag")

	// "Check that delete with invalid etag fails", "… with valid etag
	// succeeds", "Check that 2nd delete attempt fails".
	r = c.send(http.MethodDelete, fileAddress, "", "If-Match", `"invalidetag"`)
	wantStatus(t, "DELETE bad tag", r, http.StatusPreconditionFailed)
	if r.header.Get("ETag") != updatedEtag {
		t.Errorf("DELETE 412 ETag %q, want %q", r.header.Get("ETag"), updatedEtag)
	}
	wantStatus(t, "DELETE", c.send(http.MethodDelete, fileAddress, "", "If-Match", updatedEtag), http.StatusOK)
	wantStatus(t, "2nd DELETE", c.send(http.MethodDelete, fileAddress, "", "If-Match", updatedEtag), http.StatusNotFound)

	// "Check that we can delete an empty directory".
	wantStatus(t, "DELETE empty dir", c.send(http.MethodDelete, dirAddress, ""), http.StatusOK)

	// VfsControllerSuite: "Check that we can create a directory".
	wantStatus(t, "PUT dir/", c.send(http.MethodPut, baseAddress+"/tmpdir0a1b.c2d/", ""), http.StatusCreated)
}

// TestVfsControllerTest_VfsSpecialFoldersTest is Kudu.FunctionalTests/Vfs/VfsControllerTest.cs,
// VfsSpecialFoldersTest, plus VfsSpecialFolders.TryHandleRequest (the bare
// SystemDrive is redirected for every verb) and GetEntries (both folders
// in the root listing).
func TestVfsControllerTest_VfsSpecialFoldersTest(t *testing.T) {
	_, a := newSim(t, sim.Config{Instances: 2})
	c := newClient(t, a.Instances[0])
	v := a.SCMURL + "/api/vfs/"
	// The test asks VfsManager.Exists("/vfs/SystemDrive/"), a host-absolute
	// path: the deprecated /vfs/ alias of the same controller.
	for _, root := range []string{v, a.SCMURL + "/vfs/"} {
		for u, want := range map[string]int{
			"SystemDrive/": 200, "SystemDrive/windows/": 200, "SystemDrive/NotFound/": 404, "LocalSiteRoot/Temp/": 200,
		} {
			wantStatus(t, "GET "+root+u, c.get(root+u), want)
		}
	}
	nc := c.noFollow()
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		r := nc.send(m, v+"SystemDrive", "")
		if r.status != http.StatusTemporaryRedirect || r.header.Get("Location") != v+"SystemDrive/" {
			t.Errorf("%s SystemDrive: %d %q", m, r.status, r.header.Get("Location"))
		}
	}
	var root []struct{ Name, Mime, Href string }
	if err := json.Unmarshal(c.get(v).body, &root); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range root {
		got[e.Name] = e.Mime + " " + e.Href
	}
	for _, n := range []string{"SystemDrive", "LocalSiteRoot"} {
		if got[n] != "inode/shortcut "+v+n+"/" {
			t.Errorf("root entry %s: %q", n, got[n])
		}
	}
	// LocalSiteRoot is the instance's own C:\local: writable, not shared.
	r := c.send(http.MethodPut, v+"LocalSiteRoot/Temp/probe.txt", "x")
	wantStatus(t, "PUT LocalSiteRoot", r, http.StatusCreated)
	wantStatus(t, "GET on the same instance", c.get(v+"LocalSiteRoot/Temp/probe.txt"), http.StatusOK)
	other := newClient(t, a.Instances[1])
	wantStatus(t, "GET on another instance", other.get(v+"LocalSiteRoot/Temp/probe.txt"), http.StatusNotFound)
	// SystemDrive is read-only for the site.
	wantStatus(t, "PUT SystemDrive", c.send(http.MethodPut, v+"SystemDrive/Windows/probe.txt", "x"), http.StatusConflict)
}

// TestVfsController_PutDeleteListing checks VfsControllerBase.PutItem/DeleteItem and
// VfsController.CreateItemPutResponse/CreateFileDeleteResponse/
// GetDirectoryResponse on points the functional test does not reach.
func TestVfsController_PutDeleteListing(t *testing.T) {
	_, a := newSim(t, sim.Config{})
	c := newClient(t, a.Instances[0])
	nc := c.noFollow()
	v := a.SCMURL + "/api/vfs/data/"
	r := c.send(http.MethodPut, v+"f.txt", "one")
	wantStatus(t, "create", r, http.StatusCreated)
	tag := r.header.Get("ETag")

	// If-Match is a list: any one current tag (or *) matches.
	r = c.send(http.MethodPut, v+"f.txt", "two", "If-Match", `"0000000000000000", `+tag)
	wantStatus(t, "If-Match list", r, http.StatusNoContent)
	tag = r.header.Get("ETag")
	// A weak tag never equals Kudu's strong one.
	wantStatus(t, "weak If-Match", c.send(http.MethodPut, v+"f.txt", "x", "If-Match", "W/"+tag), http.StatusPreconditionFailed)

	// The 412 message (Resources.VfsController_EtagMismatch), also for a
	// DELETE without If-Match.
	r = c.send(http.MethodDelete, v+"f.txt", "")
	wantStatus(t, "DELETE without If-Match", r, http.StatusPreconditionFailed)
	if msg := decode[struct{ Message string }](t, r).Message; msg != "ETag does not represent the latest state of the resource." || r.header.Get("ETag") != tag {
		t.Errorf("412: %q ETag %q", msg, r.header.Get("ETag"))
	}

	// A file path with a trailing slash: PUT tries to create a folder
	// over the file (409), DELETE is redirected to the file.
	wantStatus(t, "PUT file/", c.send(http.MethodPut, v+"f.txt/", ""), http.StatusConflict)
	r = nc.send(http.MethodDelete, v+"f.txt/", "", "If-Match", tag)
	if r.status != http.StatusTemporaryRedirect || r.header.Get("Location") != v+"f.txt" {
		t.Errorf("DELETE file/: %d %q", r.status, r.header.Get("Location"))
	}

	// Listing hrefs use Uri.EscapeUriString (reserved characters such as
	// ';' and ',' stay, a space is %20) and Kudu escapes '#'.
	name := "a;b,c d#e.txt"
	wantStatus(t, "create odd name", c.send(http.MethodPut, v+strings.NewReplacer(";", "%3B", ",", "%2C", " ", "%20", "#", "%23").Replace(name), "x"), http.StatusCreated)
	var list []struct{ Name, Href string }
	if err := json.Unmarshal(c.get(v).body, &list); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range list {
		if e.Name == name {
			found = true
			if want := v + "a;b,c%20d%23e.txt"; e.Href != want {
				t.Errorf("href %q, want %q", e.Href, want)
			}
		}
	}
	if !found {
		t.Errorf("%q not listed: %+v", name, list)
	}
}
