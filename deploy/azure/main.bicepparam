// Example parameters for deploy/azure/main.bicep. Copy, edit, then:
//   export DUMPFLOW_WEBHOOK_TOKEN=$(openssl rand -hex 32)     # first deployment
//   az deployment group create -g rg-dumpflow -f deploy/azure/main.bicep -p deploy/azure/main.bicepparam
// On later deployments read the token back from Key Vault instead of
// generating a new one (docs/operations.md, "Secrets"):
//   export DUMPFLOW_WEBHOOK_TOKEN=$(az keyvault secret show --vault-name KV --name webhook-token --query value -o tsv)
using 'main.bicep'

param namePrefix = 'dumpflow'

param containerRegistryServer = 'myregistry.azurecr.io'
param acrName = 'myregistry'
param imageTag = '0.1.0'

// Never a literal: the value comes from the environment of the shell that
// runs the deployment (or, once the vault exists, from
// az.getSecret('SUBSCRIPTION-ID', 'rg-dumpflow', 'KV-NAME', 'webhook-token')).
param webhookToken = readEnvironmentVariable('DUMPFLOW_WEBHOOK_TOKEN')

// One file, shared with the Kubernetes base (its ConfigMap generator).
param policiesJson = loadTextContent('../kubernetes/base/policies.json')

param targetAppResourceIds = [
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shop/providers/Microsoft.Web/sites/shop-api'
]

param ingestReaderResourceGroupIds = [
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shop'
]

param dumpsCoolAfterDays = 7
param dumpsDeleteAfterDays = 30
param reportsDeleteAfterDays = 180

param workerMaxReplicas = 10
param analyzerMaxReplicas = 5

param createAutohealAlerts = true
param alertMemoryWorkingSetBytes = 1610612736
param alertHttp5xxCount = 50
param alertResponseTimeMs = 10000
