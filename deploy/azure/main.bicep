// dumpflow on Azure: Service Bus (captures, analysis), Storage (dumpfiles),
// per-service managed identities with least-privilege roles, Key Vault for
// the webhook token, a Container Apps environment running ingest (HTTPS),
// worker and analyzer (KEDA azure-servicebus scale rules, min 0), an action
// group pointing Azure Monitor at ingest, and optional auto-heal-style
// metric alerts on the target apps. Deploy with:
//   az deployment group create -g RG -f deploy/azure/main.bicep -p deploy/azure/main.bicepparam
// (docs/operations.md walks through it).

targetScope = 'resourceGroup'

metadata description = 'dumpflow: capture, store and analyze App Service process dumps'

// ---------------------------------------------------------------- general

@description('Azure region for every regional resource; defaults to the resource group\'s.')
param location string = resourceGroup().location

@description('Short name used in every resource name (3-10 lowercase letters or digits).')
@minLength(3)
@maxLength(10)
param namePrefix string = 'dumpflow'

@description('Tags applied to every resource.')
param tags object = {
  app: 'dumpflow'
}

// ---------------------------------------------------------------- images

@description('Registry login server holding dumpflow-ingest, dumpflow-worker and dumpflow-analyzer, e.g. myacr.azurecr.io.')
param containerRegistryServer string

@description('Name of an Azure Container Registry in THIS resource group to pull from with the app identities (AcrPull); empty for a public registry.')
param acrName string = ''

@description('Image tag of the three images (the VERSION given to docker build).')
param imageTag string

// ---------------------------------------------------------------- secrets

@secure()
@description('Webhook token ingest requires (?token= or X-Dumpflow-Token); at least 32 random characters. Stored in Key Vault; read it back from there on later deployments (see main.bicepparam).')
@minLength(32)
param webhookToken string

// ---------------------------------------------------------------- configuration

@description('Content of the ingest policies file (JSON, schema in pkg/policy), mounted at /etc/dumpflow/policies.json.')
param policiesJson string

@description('Run the three services on Azure Container Apps. false deploys only the shared resources (queues, storage, identities, roles, Key Vault, action group) for running the services on Kubernetes.')
param deployContainerApps bool = true

@description('HTTPS base URL of an ingest not run by this deployment (e.g. a Kubernetes Ingress), used by the action group when deployContainerApps is false.')
param externalIngestUrl string = ''

@description('Path of ingest\'s alert endpoint the action group posts to (POST /v1/alerts detects the payload\'s source).')
param ingestWebhookPath string = '/v1/alerts'

@description('Resource ids of the target App Service apps (/subscriptions/S/resourceGroups/G/providers/Microsoft.Web/sites/NAME, not slots: slots inherit the app\'s roles); the worker identity gets Website Contributor on each.')
param targetAppResourceIds array = []

@description('Resource group ids (/subscriptions/S/resourceGroups/G) in which ingest may expand App Service plans and tags; its identity gets Reader on each.')
param ingestReaderResourceGroupIds array = []

// ---------------------------------------------------------------- storage and queues

@description('Service Bus SKU (Standard or Premium; Basic lacks duplicate detection).')
@allowed([
  'Standard'
  'Premium'
])
param serviceBusSku string = 'Standard'

@description('Storage redundancy SKU.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSku string = 'Standard_ZRS'

@description('Days after which dumps move to the cool tier.')
@minValue(1)
param dumpsCoolAfterDays int = 7

@description('Days after which dumps are deleted (larger than dumpsCoolAfterDays).')
@minValue(2)
param dumpsDeleteAfterDays int = 30

@description('Days after which incident manifests, job records and reports are deleted.')
@minValue(1)
param reportsDeleteAfterDays int = 180

// ---------------------------------------------------------------- scale

@description('Maximum worker replicas. Direct dumps of one app are serialized across all workers, so more workers help only with many apps.')
@minValue(1)
@maxValue(100)
param workerMaxReplicas int = 10

@description('Maximum analyzer replicas.')
@minValue(1)
@maxValue(100)
param analyzerMaxReplicas int = 5

@description('Active messages per replica the KEDA azure-servicebus rules aim for.')
@minValue(1)
param messagesPerReplica int = 2

// ---------------------------------------------------------------- alerts

@description('Create auto-heal-style metric alerts on every target app (memory, HTTP 5xx, response time) that fire the dumpflow action group.')
param createAutohealAlerts bool = false

@description('Memory working set threshold in bytes for the memory alert; 0 disables that rule.')
@minValue(0)
param alertMemoryWorkingSetBytes int = 1610612736

@description('HTTP 5xx count threshold over the window; 0 disables that rule.')
@minValue(0)
param alertHttp5xxCount int = 50

@description('Average response time threshold in milliseconds; 0 disables that rule.')
@minValue(0)
param alertResponseTimeMs int = 10000

// ================================================================ names

var suffix = uniqueString(resourceGroup().id)
var compactPrefix = toLower(replace(namePrefix, '-', ''))
var names = {
  serviceBus: 'sb-${namePrefix}-${suffix}'
  storage: take('st${compactPrefix}${suffix}', 24)
  vault: take('kv-${compactPrefix}-${suffix}', 24)
  identityPrefix: 'id-${namePrefix}'
  workspace: 'log-${namePrefix}-${suffix}'
  environment: 'cae-${namePrefix}'
  actionGroup: 'ag-${namePrefix}'
}
var containerName = 'dumpfiles'
var webhookSecretName = 'webhook-token'
var imagePrefix = '${containerRegistryServer}/${namePrefix}'

// ================================================================ resources

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    location: location
    namespaceName: names.serviceBus
    skuName: serviceBusSku
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    accountName: names.storage
    containerName: containerName
    skuName: storageSku
    dumpsCoolAfterDays: dumpsCoolAfterDays
    dumpsDeleteAfterDays: dumpsDeleteAfterDays
    reportsDeleteAfterDays: reportsDeleteAfterDays
    tags: tags
  }
}

module identities 'modules/identities.bicep' = {
  name: 'identities'
  params: {
    location: location
    namePrefix: names.identityPrefix
    tags: tags
  }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    vaultName: names.vault
    secretName: webhookSecretName
    webhookToken: webhookToken
    tags: tags
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  params: {
    namespaceName: serviceBus.outputs.namespaceName
    storageAccountName: storage.outputs.accountName
    containerName: containerName
    vaultName: vault.outputs.vaultName
    secretName: webhookSecretName
    acrName: acrName
    principals: {
      ingest: identities.outputs.ingest.principalId
      worker: identities.outputs.worker.principalId
      analyzer: identities.outputs.analyzer.principalId
      scaler: identities.outputs.scaler.principalId
    }
  }
}

module targetAppAccess 'modules/target-app-access.bicep' = [
  for (appId, i) in targetAppResourceIds: {
    // Deployment names are per resource group: make them unique per
    // dumpflow installation and app so two installations never collide.
    name: take('dumpflow-app-access-${uniqueString(resourceGroup().id, appId)}', 64)
    scope: resourceGroup(split(appId, '/')[2], split(appId, '/')[4])
    params: {
      siteName: split(appId, '/')[8]
      principalId: identities.outputs.worker.principalId
    }
  }
]

module readerAccess 'modules/reader-access.bicep' = [
  for (rgId, i) in ingestReaderResourceGroupIds: {
    name: take('dumpflow-ingest-reader-${uniqueString(resourceGroup().id, rgId)}', 64)
    scope: resourceGroup(split(rgId, '/')[2], split(rgId, '/')[4])
    params: {
      principalId: identities.outputs.ingest.principalId
    }
  }
]

module apps 'modules/apps.bicep' = if (deployContainerApps) {
  name: 'apps'
  params: {
    location: location
    namePrefix: namePrefix
    environmentName: names.environment
    workspaceName: names.workspace
    imagePrefix: imagePrefix
    imageTag: imageTag
    registryServer: containerRegistryServer
    useRegistryIdentity: !empty(acrName)
    queueUrl: serviceBus.outputs.queueUrl
    blobUrl: storage.outputs.blobUrl
    serviceBusNamespace: serviceBus.outputs.namespaceName
    identities: {
      ingest: identities.outputs.ingest
      worker: identities.outputs.worker
      analyzer: identities.outputs.analyzer
      scaler: identities.outputs.scaler
    }
    webhookSecretName: webhookSecretName
    webhookSecretUri: vault.outputs.secretUri
    policiesJson: policiesJson
    workerMaxReplicas: workerMaxReplicas
    analyzerMaxReplicas: analyzerMaxReplicas
    messagesPerReplica: messagesPerReplica
    tags: tags
  }
  dependsOn: [
    rbac
  ]
}
var ingestBaseUrl = deployContainerApps ? 'https://${apps.outputs.ingestFqdn}' : externalIngestUrl

module actionGroup 'modules/action-group.bicep' = if (!empty(ingestBaseUrl)) {
  name: 'action-group'
  params: {
    actionGroupName: names.actionGroup
    ingestBaseUrl: ingestBaseUrl
    webhookPath: ingestWebhookPath
    webhookToken: webhookToken
    tags: tags
  }
}

module autohealAlerts 'modules/autoheal-alerts.bicep' = [
  for (appId, i) in (createAutohealAlerts && !empty(ingestBaseUrl) ? targetAppResourceIds : []): {
    name: 'autoheal-alerts-${i}'
    params: {
      siteId: appId
      actionGroupId: actionGroup.outputs.actionGroupId
      memoryWorkingSetBytes: alertMemoryWorkingSetBytes
      http5xxCount: alertHttp5xxCount
      responseTimeMs: alertResponseTimeMs
      tags: tags
    }
  }
]

// ================================================================ outputs (no secrets)

@description('HTTPS base URL of ingest (empty when neither Container Apps nor externalIngestUrl provide one).')
output ingestUrl string = ingestBaseUrl

@description('DUMPFLOW_QUEUE value for local tools (az login credentials).')
output queueUrl string = serviceBus.outputs.queueUrl

@description('DUMPFLOW_BLOB value for local tools.')
output blobUrl string = storage.outputs.blobUrl

@description('Key Vault holding the webhook token secret.')
output keyVaultName string = vault.outputs.vaultName

@description('Name of the webhook token secret in Key Vault.')
output webhookSecretName string = webhookSecretName

@description('Action group id to attach to your own alert rules (empty without an ingest URL).')
output actionGroupId string = empty(ingestBaseUrl) ? '' : actionGroup.outputs.actionGroupId

@description('Principal id of the worker identity (grant Website Contributor on apps added later).')
output workerPrincipalId string = identities.outputs.worker.principalId

@description('Principal id of the ingest identity (grant Reader on scopes added later).')
output ingestPrincipalId string = identities.outputs.ingest.principalId

@description('Client ids of the four identities, for Kubernetes ServiceAccount annotations and the KEDA TriggerAuthentication.')
output identityClientIds object = {
  ingest: identities.outputs.ingest.clientId
  worker: identities.outputs.worker.clientId
  analyzer: identities.outputs.analyzer.clientId
  scaler: identities.outputs.scaler.clientId
}

@description('Service Bus namespace name, for the KEDA trigger metadata.')
output serviceBusNamespace string = serviceBus.outputs.namespaceName
