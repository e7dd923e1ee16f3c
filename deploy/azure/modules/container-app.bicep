// One dumpflow service as a Container App: one container, user-assigned
// identities, probes on /healthz and /readyz, optional HTTPS ingress,
// scale rules (KEDA), Key Vault secret references and secret volumes.

@description('Azure region of the app.')
param location string

@description('Container App name (2-32 lowercase letters, digits and hyphens).')
@minLength(2)
@maxLength(32)
param appName string

@description('Resource id of the Container Apps environment.')
param environmentId string

@description('Full image reference, e.g. myacr.azurecr.io/dumpflow-worker:1.2.3.')
param image string

@description('Container arguments after the entrypoint (the image entrypoint is the service binary).')
param args array

@description('Plain environment variables as [{name, value}] or [{name, secretRef}].')
param env array

@description('Resource ids of the user-assigned identities attached to the app.')
param identityIds array

@description('Resource id of the identity used to pull from registryServer; empty for a public registry.')
param registryIdentityId string = ''

@description('Registry login server for registryIdentityId, e.g. myacr.azurecr.io; empty for a public registry.')
param registryServer string = ''

@description('Container Apps secrets: Key Vault references [{name, keyVaultUrl, identity}] for anything sensitive; inline [{name, value}] only for non-sensitive files mounted as Secret volumes.')
param secrets array = []

@description('Volumes as Container Apps volume objects (e.g. Secret volumes holding files).')
param volumes array = []

@description('Volume mounts as [{volumeName, mountPath}].')
param volumeMounts array = []

@description('Port the service listens on for HTTP (ingress for ingest, health and metrics for the others).')
param port int

@description('Expose the port through the environment\'s HTTPS ingress to the internet.')
param externalIngress bool = false

@description('vCPU of the container; Consumption allows 0.25 steps paired with memory (0.25 CPU / 0.5Gi, 0.5 / 1Gi, ...).')
param cpu string

@description('Memory of the container, paired with cpu (e.g. 0.5Gi with 0.25 CPU).')
param memory string

@description('Seconds a replica gets between SIGTERM and SIGKILL on scale-in or a new revision.')
@minValue(0)
@maxValue(600)
param terminationGracePeriodSeconds int = 30

@description('Minimum replicas; 0 lets KEDA scale the app to zero when its queue is empty.')
@minValue(0)
param minReplicas int

@description('Maximum replicas.')
@minValue(1)
param maxReplicas int

@description('Scale rules as Container Apps scale rule objects (azure-servicebus custom rules, http rules).')
param scaleRules array = []

@description('Tags applied to the app.')
param tags object = {}

var userIdentities = toObject(identityIds, id => id, id => {})

var registries = empty(registryServer) || empty(registryIdentityId) ? [] : [
  {
    server: registryServer
    identity: registryIdentityId
  }
]

var ingress = externalIngress ? {
  external: true
  targetPort: port
  transport: 'auto'
  allowInsecure: false
  traffic: [
    {
      latestRevision: true
      weight: 100
    }
  ]
} : null

resource app 'Microsoft.App/containerApps@2025-01-01' = {
  name: appName
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: userIdentities
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      secrets: secrets
      registries: registries
      ingress: ingress
    }
    template: {
      containers: [
        {
          name: appName
          image: image
          args: args
          env: env
          resources: {
            cpu: json(cpu)
            memory: memory
          }
          volumeMounts: volumeMounts
          probes: [
            {
              type: 'Startup'
              httpGet: {
                path: '/healthz'
                port: port
              }
              periodSeconds: 2
              failureThreshold: 30
            }
            {
              type: 'Liveness'
              httpGet: {
                path: '/healthz'
                port: port
              }
              periodSeconds: 15
              timeoutSeconds: 3
              failureThreshold: 4
            }
            {
              type: 'Readiness'
              httpGet: {
                path: '/readyz'
                port: port
              }
              periodSeconds: 10
              timeoutSeconds: 6
              failureThreshold: 3
            }
          ]
        }
      ]
      volumes: volumes
      terminationGracePeriodSeconds: terminationGracePeriodSeconds
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        rules: scaleRules
      }
    }
  }
}

@description('FQDN of the app\'s ingress (empty without ingress).')
output fqdn string = externalIngress ? app.properties.configuration.ingress.fqdn : ''

@description('Resource id of the app.')
output appId string = app.id
