// The Container Apps side of dumpflow: the environment and the three
// services (ingest with HTTPS ingress; worker and analyzer scaled from zero
// by KEDA azure-servicebus rules). main.bicep deploys it after the role
// assignments exist, so the apps can read their Key Vault reference and
// reach Service Bus and Storage on first start.

@description('Azure region of the environment and apps.')
param location string

@description('Short name used in the app names (dumpflow-ingest, …).')
param namePrefix string

@description('Container Apps environment name.')
param environmentName string

@description('Log Analytics workspace name.')
param workspaceName string

@description('Image reference prefix: REGISTRY/NAMEPREFIX; images are PREFIX-ingest:TAG and so on.')
param imagePrefix string

@description('Image tag of the three images.')
param imageTag string

@description('Registry login server to pull with the app identities; empty for a public registry.')
param registryServer string

@description('Pull images with the app identities (AcrPull granted by rbac.bicep).')
param useRegistryIdentity bool

@description('Queue URL: sb://NAMESPACE.servicebus.windows.net')
param queueUrl string

@description('Blob container URL: https://ACCOUNT.blob.core.windows.net/dumpfiles')
param blobUrl string

@description('Service Bus namespace name, for the scale rules.')
param serviceBusNamespace string

@description('Identities as returned by identities.bicep: {ingest, worker, analyzer, scaler} each {id, principalId, clientId}.')
param identities object

@description('Name of the Container Apps secret (and Key Vault secret) holding the webhook token.')
param webhookSecretName string

@description('Versionless Key Vault URI of the webhook token secret.')
param webhookSecretUri string

@description('Content of the ingest policies file (JSON), mounted at /etc/dumpflow/policies.json.')
param policiesJson string

@description('Maximum worker replicas.')
param workerMaxReplicas int

@description('Maximum analyzer replicas.')
param analyzerMaxReplicas int

@description('Active messages per replica the KEDA rules aim for.')
param messagesPerReplica int

@description('Tags applied to every resource.')
param tags object

module environment 'environment.bicep' = {
  name: 'environment'
  params: {
    location: location
    environmentName: environmentName
    workspaceName: workspaceName
    tags: tags
  }
}

var backendArgs = [
  '--queue=${queueUrl}'
  '--blob=${blobUrl}'
]

// Also in the environment, for tools started in the container (az
// containerapp exec) and flags read from DUMPFLOW_<FLAG>.
var backendEnv = [
  {
    name: 'DUMPFLOW_QUEUE'
    value: queueUrl
  }
  {
    name: 'DUMPFLOW_BLOB'
    value: blobUrl
  }
]

module ingestApp 'container-app.bicep' = {
  name: 'app-ingest'
  params: {
    location: location
    appName: '${namePrefix}-ingest'
    environmentId: environment.outputs.environmentId
    image: '${imagePrefix}-ingest:${imageTag}'
    args: concat([
      'serve'
      '--listen'
      ':8080'
      '--config'
      '/etc/dumpflow/policies.json'
    ], backendArgs)
    env: concat(backendEnv, [
      {
        name: 'AZURE_CLIENT_ID'
        value: identities.ingest.clientId
      }
      {
        name: 'DUMPFLOW_WEBHOOK_TOKEN'
        secretRef: webhookSecretName
      }
      {
        name: 'GOMEMLIMIT'
        value: '800MiB'
      }
    ])
    identityIds: [
      identities.ingest.id
    ]
    registryServer: useRegistryIdentity ? registryServer : ''
    registryIdentityId: useRegistryIdentity ? identities.ingest.id : ''
    secrets: [
      {
        name: webhookSecretName
        keyVaultUrl: webhookSecretUri
        identity: identities.ingest.id
      }
      {
        // Not secret, but a Secret volume is the only file mount Container
        // Apps offers without a storage share.
        name: 'policies'
        value: policiesJson
      }
    ]
    volumes: [
      {
        name: 'config'
        storageType: 'Secret'
        secrets: [
          {
            secretRef: 'policies'
            path: 'policies.json'
          }
        ]
      }
    ]
    volumeMounts: [
      {
        volumeName: 'config'
        mountPath: '/etc/dumpflow'
      }
    ]
    port: 8080
    externalIngress: true
    cpu: '0.5'
    memory: '1Gi'
    // Alerts must never wait for a cold start: keep one replica up.
    minReplicas: 1
    maxReplicas: 3
    scaleRules: [
      {
        name: 'http'
        http: {
          metadata: {
            concurrentRequests: '50'
          }
        }
      }
    ]
    tags: tags
  }
}

module workerApp 'container-app.bicep' = {
  name: 'app-worker'
  params: {
    location: location
    appName: '${namePrefix}-worker'
    environmentId: environment.outputs.environmentId
    image: '${imagePrefix}-worker:${imageTag}'
    args: concat([
      'serve'
      '--listen'
      ':9090'
      '--concurrency=16'
      '--upload-memory-mib=128'
    ], backendArgs)
    env: concat(backendEnv, [
      {
        name: 'AZURE_CLIENT_ID'
        value: identities.worker.clientId
      }
      {
        // Peak ~256 MiB: baseline 64 MiB (margin over the measured 16-26 MiB
        // RSS) + 128 MiB of upload buffers shared by all dumps + 16 dumps x
        // 4 MiB (170-222 MiB measured at 16 dumps on Azurite; docs/operations.md,
        // Sizing). 0.5 CPU: about 2.1-2.4 CPU-seconds per GiB stored (SHA-256,
        // HTTP, no TLS on Azurite), so 16 dumps share about 200 MiB/s.
        name: 'GOMEMLIMIT'
        value: '400MiB'
      }
    ])
    identityIds: [
      identities.worker.id
      identities.scaler.id
    ]
    registryServer: useRegistryIdentity ? registryServer : ''
    registryIdentityId: useRegistryIdentity ? identities.worker.id : ''
    port: 9090
    cpu: '0.5'
    memory: '1Gi'
    // Covers the worker's --grace (2m) for dumps in flight on scale-in.
    terminationGracePeriodSeconds: 300
    minReplicas: 0
    maxReplicas: workerMaxReplicas
    scaleRules: [
      {
        name: 'captures-queue'
        custom: {
          type: 'azure-servicebus'
          identity: identities.scaler.id
          metadata: {
            namespace: serviceBusNamespace
            queueName: 'captures'
            messageCount: string(messagesPerReplica)
          }
        }
      }
    ]
    tags: tags
  }
}

module analyzerApp 'container-app.bicep' = {
  name: 'app-analyzer'
  params: {
    location: location
    appName: '${namePrefix}-analyzer'
    environmentId: environment.outputs.environmentId
    image: '${imagePrefix}-analyzer:${imageTag}'
    args: concat([
      'serve'
      '--listen'
      ':9090'
    ], backendArgs)
    env: concat(backendEnv, [
      {
        name: 'AZURE_CLIENT_ID'
        value: identities.analyzer.clientId
      }
      {
        name: 'GOMEMLIMIT'
        value: '800MiB'
      }
    ])
    identityIds: [
      identities.analyzer.id
      identities.scaler.id
    ]
    registryServer: useRegistryIdentity ? registryServer : ''
    registryIdentityId: useRegistryIdentity ? identities.analyzer.id : ''
    port: 9090
    cpu: '0.5'
    memory: '1Gi'
    minReplicas: 0
    maxReplicas: analyzerMaxReplicas
    scaleRules: [
      {
        name: 'analysis-queue'
        custom: {
          type: 'azure-servicebus'
          identity: identities.scaler.id
          metadata: {
            namespace: serviceBusNamespace
            queueName: 'analysis'
            messageCount: string(messagesPerReplica)
          }
        }
      }
    ]
    tags: tags
  }
}

@description('FQDN of the ingest app\'s HTTPS ingress.')
output ingestFqdn string = ingestApp.outputs.fqdn
