// Log Analytics workspace and the Container Apps environment the three
// services run in (Consumption workload profile: scale to zero).

@description('Azure region of the workspace and environment.')
param location string

@description('Container Apps environment name.')
param environmentName string

@description('Log Analytics workspace name.')
param workspaceName string

@description('Days Log Analytics keeps container logs.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Zone-redundant environment (needs a region with availability zones and a VNet; false keeps the deployment VNet-free).')
param zoneRedundant bool = false

@description('Tags applied to both resources.')
param tags object = {}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionDays
  }
}

resource environment 'Microsoft.App/managedEnvironments@2025-01-01' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    zoneRedundant: zoneRedundant
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
    ]
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        // Read at deployment time by ARM; never stored in the template or output.
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
  }
}

@description('Resource id of the Container Apps environment.')
output environmentId string = environment.id

@description('Default domain of the environment (apps get NAME.DEFAULT_DOMAIN).')
output defaultDomain string = environment.properties.defaultDomain
