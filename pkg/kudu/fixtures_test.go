package kudu

// Responses copied from shared/docs/kudu-api.md §4 (the illustrative list
// and detail), so the client is tested against the documented shapes.
const docList = `[
  {"id": 6512, "name": "dotnet", "machineName": "DW1SDWK00003C", "href": "https://contoso.scm.azurewebsites.net/api/processes/6512", "user_name": "IIS APPPOOL\\contoso"},
  {"id": 4120, "name": "w3wp", "machineName": "DW1SDWK00003C", "href": "https://contoso.scm.azurewebsites.net/api/processes/4120", "user_name": "IIS APPPOOL\\contoso"},
  {"id": 7788, "name": "w3wp", "machineName": "DW1SDWK00003C", "href": "https://contoso.scm.azurewebsites.net/api/processes/7788", "user_name": "IIS APPPOOL\\~1contoso"}
]`

const docDetail = `{
  "id": 4120, "name": "w3wp", "machineName": "DW1SDWK00003C",
  "href": "https://contoso.scm.azurewebsites.net/api/processes/4120",
  "minidump": "https://contoso.scm.azurewebsites.net/api/processes/4120/dump",
  "iis_profile_timeout_in_seconds": 180.0,
  "parent": "https://contoso.scm.azurewebsites.net/api/processes/3000",
  "children": ["https://contoso.scm.azurewebsites.net/api/processes/6512"],
  "threads": [{"id": 4200, "href": "https://contoso.scm.azurewebsites.net/api/processes/4120/threads/4200", "state": "Wait"}],
  "open_file_handles": ["D:\\home\\LogFiles\\eventlog.xml"],
  "modules": [{"base_address": "7ff6a1b20000", "file_name": "w3wp.exe", "href": "https://contoso.scm.azurewebsites.net/api/processes/4120/modules/7ff6a1b20000", "file_version": "10.0.20348.1"}],
  "file_name": "C:\\Windows\\SysWOW64\\inetsrv\\w3wp.exe",
  "command_line": "c:\\windows\\system32\\inetsrv\\w3wp.exe -ap \"contoso\" ...",
  "user_name": "IIS APPPOOL\\contoso",
  "handle_count": 1204, "module_count": 142, "thread_count": 38,
  "start_time": "2025-03-01T09:58:11.0426312Z",
  "total_cpu_time": "00:02:13.5156250", "user_cpu_time": "00:01:58.3281250", "privileged_cpu_time": "00:00:15.1875000",
  "working_set": 612347904, "peak_working_set": 790528000,
  "private_memory": 845103104, "virtual_memory": 2785689600, "peak_virtual_memory": 2901245952,
  "paged_memory": 845103104, "peak_paged_memory": 910163968,
  "paged_system_memory": 712344, "non_paged_system_memory": 98112,
  "time_stamp": "2025-03-01T10:15:30.1234567Z",
  "environment_variables": {"WEBSITE_SITE_NAME": "contoso", "WEBSITE_INSTANCE_ID": "8d3f0a…", "APP_POOL_ID": "contoso"}
}`

// docSCMDetail is the Kudu process itself (id 0 resolved to its pid), in
// the same documented shape: is_scm_site appears because it is true.
const docSCMDetail = `{
  "id": 7788, "name": "w3wp", "machineName": "DW1SDWK00003C",
  "href": "https://contoso.scm.azurewebsites.net/api/processes/7788",
  "minidump": "https://contoso.scm.azurewebsites.net/api/processes/7788/dump",
  "user_name": "IIS APPPOOL\\~1contoso",
  "is_scm_site": true,
  "environment_variables": {"WEBSITE_INSTANCE_ID": "8d3f0a1b", "APP_POOL_ID": "~1contoso"}
}`

// docARMDetail is the ARM envelope Kudu writes when x-ms-geo-location is
// present (§5): pid in properties.id, environment filtered.
const docARMDetail = `{
  "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/contoso/instances/8d3f0a1b/processes/4120",
  "name": "contoso/8d3f0a1b/4120",
  "type": "Microsoft.Web/sites/instances/processes",
  "location": "West Europe",
  "properties": {"id": 4120, "name": "w3wp", "machineName": "DW1SDWK00003C",
    "href": "https://contoso.scm.azurewebsites.net/api/processes/4120",
    "command_line": null, "private_memory": 845103104, "deployment_name": "contoso",
    "environment_variables": {"COR_ENABLE_PROFILING": "0"}}
}`

// docARMDetailIdentifier uses the spec's "identifier" instead of "id".
const docARMDetailIdentifier = `{"id": "/x/processes/4120", "name": "contoso/8d3f0a1b/4120", "type": "Microsoft.Web/sites/instances/processes",
  "properties": {"identifier": 4120, "name": "w3wp", "machineName": "DW1SDWK00003C"}}`

const doc404 = `{"Message":"Process with an Id of 999 is not running."}`

const doc500NoW3wp = `{"Message":"An error has occurred.","ExceptionMessage":"Sequence contains no elements","ExceptionType":"System.InvalidOperationException","StackTrace":"   at System.Linq.Enumerable.First..."}`

const docThreads = `[{"id": 4200, "href": "https://contoso.scm.azurewebsites.net/api/processes/4120/threads/4200", "state": "Wait"},
 {"id": 4204, "href": "https://contoso.scm.azurewebsites.net/api/processes/4120/threads/4204", "state": "Running"}]`

const docModules = `[{"base_address": "7ff6a1b20000", "file_name": "w3wp.exe", "href": "https://contoso.scm.azurewebsites.net/api/processes/4120/modules/7ff6a1b20000", "file_version": "10.0.20348.1"}]`

const docHTML401 = `<!DOCTYPE html><html><head><title>401 - Unauthorized: Access is denied due to invalid credentials.</title></head><body><h1>Server Error</h1></body></html>`

// instanceA is a 64-hex-character instance id as ARM lists it.
const instanceA = "8d3f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7"
const instanceB = "1111111111111111111111111111111111111111111111111111111111111111"
