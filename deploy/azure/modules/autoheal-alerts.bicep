// Optional metric alert rules on ONE target App Service app that express
// auto-heal-style triggers (memory working set, HTTP 5xx count, response
// time) and fire the dumpflow action group, so ingest captures dumps while
// the condition holds instead of the platform only recycling the process.
// Deployed into the dumpflow resource group; the rules' scope is the app.

@description('Resource id of the target Microsoft.Web/sites app.')
param siteId string

@description('Resource id of the dumpflow action group.')
param actionGroupId string

@description('Alert when the average private memory working set over the window exceeds this many bytes; 0 disables the rule.')
@minValue(0)
param memoryWorkingSetBytes int

@description('Alert when the total count of HTTP 5xx responses over the window exceeds this; 0 disables the rule.')
@minValue(0)
param http5xxCount int

@description('Alert when the average response time over the window exceeds this many milliseconds; 0 disables the rule.')
@minValue(0)
param responseTimeMs int

@description('Evaluation window (ISO 8601), like auto-heal\'s time interval.')
@allowed([
  'PT5M'
  'PT15M'
  'PT30M'
  'PT1H'
])
param windowSize string = 'PT5M'

@description('Tags applied to the rules.')
param tags object = {}

var siteName = last(split(siteId, '/'))

// Names are prefixed by rule kind so ingest policies can match on them.
var rules = filter(
  [
    {
      kind: 'memory'
      enabled: memoryWorkingSetBytes > 0
      metricName: 'MemoryWorkingSet'
      aggregation: 'Average'
      threshold: memoryWorkingSetBytes
      severity: 2
    }
    {
      kind: 'http5xx'
      enabled: http5xxCount > 0
      metricName: 'Http5xx'
      aggregation: 'Total'
      threshold: http5xxCount
      severity: 2
    }
    {
      kind: 'slow-requests'
      enabled: responseTimeMs > 0
      metricName: 'HttpResponseTime'
      aggregation: 'Average'
      // HttpResponseTime is reported in seconds.
      threshold: json(format('{0}.{1}', responseTimeMs / 1000, padLeft(string(responseTimeMs % 1000), 3, '0')))
      severity: 3
    }
  ],
  r => r.enabled
)

resource alerts 'Microsoft.Insights/metricAlerts@2018-03-01' = [
  for r in rules: {
    name: take('dumpflow-${r.kind}-${siteName}', 260)
    location: 'global'
    tags: tags
    properties: {
      description: 'dumpflow auto-heal-style trigger: ${r.metricName} ${r.aggregation} > ${r.threshold} on ${siteName}'
      severity: r.severity
      enabled: true
      scopes: [
        siteId
      ]
      evaluationFrequency: 'PT1M'
      windowSize: windowSize
      autoMitigate: true
      targetResourceType: 'Microsoft.Web/sites'
      criteria: {
        'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
        allOf: [
          {
            criterionType: 'StaticThresholdCriterion'
            name: r.kind
            metricNamespace: 'Microsoft.Web/sites'
            metricName: r.metricName
            operator: 'GreaterThan'
            threshold: r.threshold
            timeAggregation: r.aggregation
          }
        ]
      }
      actions: [
        {
          actionGroupId: actionGroupId
        }
      ]
    }
  }
]
