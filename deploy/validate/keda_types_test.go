package validate

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Local mirrors of the keda.sh/v1alpha1 types dumpflow uses, with the same
// JSON names as github.com/kedacore/keda/v2/apis/keda/v1alpha1 (KEDA
// v2.1x). Only spec fields are mirrored; a manifest carrying status or a
// field KEDA does not define fails strict decoding. Fields KEDA defines but
// that we do not mirror also fail: add them here when a manifest needs one.

// kedaScaledObject mirrors v1alpha1.ScaledObject.
type kedaScaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              kedaScaledObjectSpec `json:"spec"`
}

type kedaScaledObjectSpec struct {
	ScaleTargetRef        *kedaScaleTarget    `json:"scaleTargetRef"`
	PollingInterval       *int32              `json:"pollingInterval,omitempty"`
	InitialCooldownPeriod *int32              `json:"initialCooldownPeriod,omitempty"`
	CooldownPeriod        *int32              `json:"cooldownPeriod,omitempty"`
	IdleReplicaCount      *int32              `json:"idleReplicaCount,omitempty"`
	MinReplicaCount       *int32              `json:"minReplicaCount,omitempty"`
	MaxReplicaCount       *int32              `json:"maxReplicaCount,omitempty"`
	Advanced              *kedaAdvancedConfig `json:"advanced,omitempty"`
	Triggers              []kedaScaleTrigger  `json:"triggers"`
	Fallback              *kedaFallback       `json:"fallback,omitempty"`
}

type kedaScaleTarget struct {
	Name                   string `json:"name"`
	APIVersion             string `json:"apiVersion,omitempty"`
	Kind                   string `json:"kind,omitempty"`
	EnvSourceContainerName string `json:"envSourceContainerName,omitempty"`
}

type kedaAdvancedConfig struct {
	HorizontalPodAutoscalerConfig *kedaHPAConfig `json:"horizontalPodAutoscalerConfig,omitempty"`
	RestoreToOriginalReplicaCount bool           `json:"restoreToOriginalReplicaCount,omitempty"`
}

type kedaHPAConfig struct {
	Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
	Name     string                                         `json:"name,omitempty"`
}

type kedaFallback struct {
	FailureThreshold int32  `json:"failureThreshold"`
	Replicas         int32  `json:"replicas"`
	Behavior         string `json:"behavior,omitempty"`
}

type kedaScaleTrigger struct {
	Type              string                         `json:"type"`
	Name              string                         `json:"name,omitempty"`
	UseCachedMetrics  bool                           `json:"useCachedMetrics,omitempty"`
	Metadata          map[string]string              `json:"metadata"`
	AuthenticationRef *kedaAuthenticationRef         `json:"authenticationRef,omitempty"`
	MetricType        autoscalingv2.MetricTargetType `json:"metricType,omitempty"`
}

type kedaAuthenticationRef struct {
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"`
}

// kedaTriggerAuthentication mirrors v1alpha1.TriggerAuthentication.
type kedaTriggerAuthentication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              kedaTriggerAuthenticationSpec `json:"spec"`
}

type kedaTriggerAuthenticationSpec struct {
	PodIdentity     *kedaAuthPodIdentity `json:"podIdentity,omitempty"`
	SecretTargetRef []kedaAuthTargetRef  `json:"secretTargetRef,omitempty"`
	Env             []kedaAuthEnv        `json:"env,omitempty"`
}

type kedaAuthPodIdentity struct {
	Provider              string  `json:"provider"`
	IdentityID            *string `json:"identityId"`
	IdentityTenantID      *string `json:"identityTenantId"`
	IdentityAuthorityHost *string `json:"identityAuthorityHost"`
	IdentityOwner         *string `json:"identityOwner"`
}

type kedaAuthTargetRef struct {
	Parameter string `json:"parameter"`
	Name      string `json:"name"`
	Key       string `json:"key"`
}

type kedaAuthEnv struct {
	Parameter     string `json:"parameter"`
	Name          string `json:"name"`
	ContainerName string `json:"containerName,omitempty"`
}
