// Action group whose webhook delivers Azure Monitor alerts (common alert
// schema) to ingest. Azure Monitor webhooks cannot add headers, so the
// token travels in the query string (?token=, which ingest accepts as an
// alternative to the X-Dumpflow-Token header). Consequence: anyone who can
// read this action group (Monitoring Reader and up) can read the token;
// see docs/operations.md, "Secrets".

@description('Action group name.')
param actionGroupName string

@description('Short name shown in notifications (at most 12 characters).')
@maxLength(12)
param shortName string = 'dumpflow'

@description('HTTPS base URL of ingest, without a trailing slash (https://HOST).')
param ingestBaseUrl string

@description('Path of the ingest Azure Monitor webhook endpoint, starting with a slash.')
param webhookPath string

@secure()
@description('Webhook token, read from Key Vault by the caller; becomes part of the webhook URL.')
param webhookToken string

@description('Tags applied to the action group.')
param tags object = {}

resource group 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: shortName
    enabled: true
    webhookReceivers: [
      {
        name: 'dumpflow-ingest'
        serviceUri: '${ingestBaseUrl}${webhookPath}?token=${uriComponent(webhookToken)}'
        useCommonAlertSchema: true
        useAadAuth: false
      }
    ]
  }
}

@description('Resource id of the action group, for alert rules anywhere in the tenant.')
output actionGroupId string = group.id
