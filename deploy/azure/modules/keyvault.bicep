// Key Vault holding the ingest webhook token. RBAC authorization only (no
// access policies), purge protection on. The token is written from a
// @secure() parameter; Container Apps reads it by a versionless Key Vault
// reference, so a new secret version reaches ingest without a redeploy.

@description('Azure region of the vault.')
param location string

@description('Globally unique vault name (3-24 letters, digits and hyphens).')
@minLength(3)
@maxLength(24)
param vaultName string

@description('Name of the secret holding the webhook token.')
param secretName string = 'webhook-token'

@secure()
@description('The webhook token value (at least 32 characters of randomness). Never logged or output.')
@minLength(32)
param webhookToken string

@description('Tags applied to the vault.')
param tags object = {}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
  }
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: secretName
  properties: {
    value: webhookToken
    contentType: 'text/plain; dumpflow ingest webhook token'
  }
}

@description('Vault name.')
output vaultName string = vault.name

@description('Versionless secret URI: Container Apps follows the latest version.')
output secretUri string = secret.properties.secretUri

@description('Resource id of the secret (role assignment scope).')
output secretId string = secret.id
