// Built-in Azure role definition ids used by dumpflow, in one place.
// Imported by the other modules with: import { roleIds } from 'roles.bicep'
// deploy/validate checks each value is a GUID and matches its name.

@export()
@description('Built-in role definition ids (GUIDs) keyed by role name without spaces.')
var roleIds = {
  // Send to one queue (ingest -> captures, worker -> analysis).
  ServiceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  // Receive/complete/abandon/dead-letter on one queue (worker <- captures, analyzer <- analysis).
  ServiceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  // Read queue runtime properties (message count) for the KEDA scaler identity only, scoped to one queue.
  ServiceBusDataOwner: '090c5cfd-751d-490a-894a-3ce6f1109419'
  // Read, write, lease and tag blobs in the dumpfiles container.
  StorageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  // Read one Key Vault secret (the webhook token) for the ingest identity.
  KeyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  // Kudu process API (list, dump, kill) needs write RBAC on the site; this is the narrowest built-in role.
  WebsiteContributor: 'de139f84-1756-47ae-9be6-808fbbe84772'
  // Ingest expands App Service plans and tags into sites.
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
  // Container Apps pull images from Azure Container Registry with the app identity.
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
}
