// Storage account for dumps, manifests and reports: Entra ID only (shared
// keys off), no public blob access, TLS 1.2, HTTPS only, one private
// container "dumpfiles", and a lifecycle policy that cools dumps after N days
// and deletes them after M.

@description('Azure region of the account.')
param location string

@description('Globally unique storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param accountName string

@description('Blob container name; the code and docs default to dumpfiles.')
param containerName string = 'dumpfiles'

@description('Redundancy SKU of the account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param skuName string = 'Standard_ZRS'

@description('Days since last modification after which dumps (dumps/ prefix) move to the cool tier.')
@minValue(1)
param dumpsCoolAfterDays int

@description('Days since last modification after which dumps are deleted; must be larger than dumpsCoolAfterDays.')
@minValue(2)
param dumpsDeleteAfterDays int

@description('Days since last modification after which manifests, job records and reports (incidents/ and reports/ prefixes) are deleted.')
@minValue(1)
param reportsDeleteAfterDays int

@description('Tags applied to the account.')
param tags object = {}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: accountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowCrossTenantReplication: false
    publicNetworkAccess: 'Enabled'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'dumps-cool-then-delete'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                '${containerName}/dumps/'
              ]
            }
            actions: {
              baseBlob: {
                tierToCool: {
                  daysAfterModificationGreaterThan: dumpsCoolAfterDays
                }
                delete: {
                  daysAfterModificationGreaterThan: dumpsDeleteAfterDays
                }
              }
            }
          }
        }
        {
          name: 'reports-delete'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                '${containerName}/incidents/'
                '${containerName}/reports/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: reportsDeleteAfterDays
                }
              }
            }
          }
        }
      ]
    }
  }
  dependsOn: [
    container
  ]
}

@description('Storage account name.')
output accountName string = account.name

@description('Blob URL for DUMPFLOW_BLOB: https://ACCOUNT.blob.core.windows.net/CONTAINER')
output blobUrl string = '${account.properties.primaryEndpoints.blob}${containerName}'

@description('Resource id of the container (role assignment scope).')
output containerId string = container.id
