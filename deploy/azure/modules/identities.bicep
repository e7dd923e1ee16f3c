// One user-assigned managed identity per service, plus one for the KEDA
// scaler, so each holds only the roles its own code path needs:
//   ingest   - send on captures, blob data, read the webhook secret, Reader for plan/tag expansion
//   worker   - receive on captures, send on analysis, blob data, Website Contributor on target apps
//   analyzer - receive on analysis, blob data
//   scaler   - read queue runtime properties (message counts) for the scale rules

@description('Azure region of the identities.')
param location string

@description('Prefix for identity names, e.g. id-dumpflow.')
param namePrefix string

@description('Tags applied to the identities.')
param tags object = {}

var names = [
  'ingest'
  'worker'
  'analyzer'
  'scaler'
]

resource ids 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = [
  for n in names: {
    name: '${namePrefix}-${n}'
    location: location
    tags: tags
  }
]

@description('Identity of ingest: resource id, principal (object) id and client id.')
output ingest object = {
  id: ids[0].id
  principalId: ids[0].properties.principalId
  clientId: ids[0].properties.clientId
}

@description('Identity of the worker: resource id, principal (object) id and client id.')
output worker object = {
  id: ids[1].id
  principalId: ids[1].properties.principalId
  clientId: ids[1].properties.clientId
}

@description('Identity of the analyzer: resource id, principal (object) id and client id.')
output analyzer object = {
  id: ids[2].id
  principalId: ids[2].properties.principalId
  clientId: ids[2].properties.clientId
}

@description('Identity used by the KEDA scale rules: resource id, principal (object) id and client id.')
output scaler object = {
  id: ids[3].id
  principalId: ids[3].properties.principalId
  clientId: ids[3].properties.clientId
}
