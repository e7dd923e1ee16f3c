// Service Bus namespace with the two dumpflow queues. Queue settings match
// what the code relies on (pkg/queue/servicebus): peek-lock with a 60 s lock
// the worker renews, 10 deliveries before dead-lettering, duplicate
// detection over 10 minutes (message ids are deterministic), and no
// dead-lettering on expiry (messages do not expire in practice).

@description('Azure region of the namespace.')
param location string

@description('Globally unique Service Bus namespace name (6-50 characters).')
@minLength(6)
@maxLength(50)
param namespaceName string

@description('Namespace SKU. Standard is the smallest tier with duplicate detection; Premium adds isolation and private endpoints.')
@allowed([
  'Standard'
  'Premium'
])
param skuName string = 'Standard'

@description('Tags applied to the namespace.')
param tags object = {}

@description('Queue names, fixed by the code: ingest sends to captures, the worker to analysis.')
var queueNames = [
  'captures'
  'analysis'
]

resource namespace 'Microsoft.ServiceBus/namespaces@2021-11-01' = {
  name: namespaceName
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuName
  }
  properties: {
    // Entra ID only: no SAS keys can be used against the namespace.
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource queues 'Microsoft.ServiceBus/namespaces/queues@2021-11-01' = [
  for name in queueNames: {
    parent: namespace
    name: name
    properties: {
      lockDuration: 'PT60S'
      maxDeliveryCount: 10
      deadLetteringOnMessageExpiration: false
      requiresDuplicateDetection: true
      duplicateDetectionHistoryTimeWindow: 'PT10M'
      requiresSession: false
      enableBatchedOperations: true
      // 14 days: long enough to survive a weekend outage of the consumers.
      defaultMessageTimeToLive: 'P14D'
      maxSizeInMegabytes: 1024
    }
  }
]

@description('Namespace name (the KEDA azure-servicebus trigger wants the bare name).')
output namespaceName string = namespace.name

@description('Queue URL prefix for DUMPFLOW_QUEUE: sb://NAMESPACE.servicebus.windows.net')
output queueUrl string = 'sb://${namespace.name}.servicebus.windows.net'

@description('Resource id of the captures queue (role assignment scope).')
output capturesQueueId string = queues[0].id

@description('Resource id of the analysis queue (role assignment scope).')
output analysisQueueId string = queues[1].id
