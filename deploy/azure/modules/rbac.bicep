// Role assignments inside the dumpflow resource group, each scoped to the
// smallest resource that works: one queue, the one container, the one secret.

import { roleIds } from 'roles.bicep'

@description('Service Bus namespace name holding the captures and analysis queues.')
param namespaceName string

@description('Storage account name holding the dumpfiles container.')
param storageAccountName string

@description('Blob container name.')
param containerName string

@description('Key Vault name holding the webhook secret.')
param vaultName string

@description('Name of the webhook token secret in the vault.')
param secretName string

@description('Principal (object) ids of the identities: ingest, worker, analyzer, scaler.')
param principals object

@description('Name of an Azure Container Registry in this resource group to grant AcrPull on to the three app identities; empty to skip.')
param acrName string = ''

resource namespace 'Microsoft.ServiceBus/namespaces@2021-11-01' existing = {
  name: namespaceName
}

resource captures 'Microsoft.ServiceBus/namespaces/queues@2021-11-01' existing = {
  parent: namespace
  name: 'captures'
}

resource analysis 'Microsoft.ServiceBus/namespaces/queues@2021-11-01' existing = {
  parent: namespace
  name: 'analysis'
}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: account
  name: 'default'
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: containerName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' existing = {
  parent: vault
  name: secretName
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = if (!empty(acrName)) {
  name: empty(acrName) ? 'unused' : acrName
}

// --- Service Bus: each identity on exactly the queues it uses.

resource ingestSendsCaptures 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(captures.id, principals.ingest, roleIds.ServiceBusDataSender)
  scope: captures
  properties: {
    principalId: principals.ingest
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.ServiceBusDataSender)
  }
}

resource workerReceivesCaptures 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(captures.id, principals.worker, roleIds.ServiceBusDataReceiver)
  scope: captures
  properties: {
    principalId: principals.worker
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.ServiceBusDataReceiver)
  }
}

resource workerSendsAnalysis 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(analysis.id, principals.worker, roleIds.ServiceBusDataSender)
  scope: analysis
  properties: {
    principalId: principals.worker
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.ServiceBusDataSender)
  }
}

resource analyzerReceivesAnalysis 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(analysis.id, principals.analyzer, roleIds.ServiceBusDataReceiver)
  scope: analysis
  properties: {
    principalId: principals.analyzer
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.ServiceBusDataReceiver)
  }
}

// The KEDA azure-servicebus scaler reads queue runtime properties (active
// message count), which Service Bus authorizes as a management read:
// Data Owner, scoped to each queue rather than the namespace.
resource scalerOwnsCaptures 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(captures.id, principals.scaler, roleIds.ServiceBusDataOwner)
  scope: captures
  properties: {
    principalId: principals.scaler
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.ServiceBusDataOwner)
  }
}

resource scalerOwnsAnalysis 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(analysis.id, principals.scaler, roleIds.ServiceBusDataOwner)
  scope: analysis
  properties: {
    principalId: principals.scaler
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.ServiceBusDataOwner)
  }
}

// --- Storage: the three services read and write the one container.

resource blobData 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for who in [
    'ingest'
    'worker'
    'analyzer'
  ]: {
    name: guid(container.id, principals[who], roleIds.StorageBlobDataContributor)
    scope: container
    properties: {
      principalId: principals[who]
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.StorageBlobDataContributor)
    }
  }
]

// --- Key Vault: only ingest reads only the webhook secret.

resource ingestReadsSecret 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(secret.id, principals.ingest, roleIds.KeyVaultSecretsUser)
  scope: secret
  properties: {
    principalId: principals.ingest
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.KeyVaultSecretsUser)
  }
}

// --- Optional: pull images from a registry in this resource group.

resource acrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for who in (empty(acrName) ? [] : [
    'ingest'
    'worker'
    'analyzer'
  ]): {
    name: guid(registry.id, principals[who], roleIds.AcrPull)
    scope: registry
    properties: {
      principalId: principals[who]
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.AcrPull)
    }
  }
]
