// Grants the ingest identity Reader on one resource group (deployed into
// that resource group), so ingest can expand App Service plans and tags
// into the sites they contain.

import { roleIds } from 'roles.bicep'

@description('Principal (object) id of the ingest managed identity.')
param principalId string

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, principalId, roleIds.Reader)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.Reader)
    description: 'dumpflow ingest: expand plans and tags into sites'
  }
}
