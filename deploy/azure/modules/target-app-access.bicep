// Grants the worker identity Website Contributor on ONE target App Service
// app (deployed into the app's own resource group). The Kudu process API
// (list, dump, kill) requires write RBAC on the site; Website Contributor is
// the narrowest built-in role that has it. Slots are child resources and
// inherit the assignment.

import { roleIds } from 'roles.bicep'

@description('Name of the target Microsoft.Web/sites app in this resource group.')
param siteName string

@description('Principal (object) id of the worker managed identity.')
param principalId string

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: siteName
}

resource websiteContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(site.id, principalId, roleIds.WebsiteContributor)
  scope: site
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.WebsiteContributor)
    description: 'dumpflow worker: Kudu process list, dump and kill'
  }
}
