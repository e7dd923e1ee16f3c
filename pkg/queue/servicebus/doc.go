// Package servicebus is the Azure Service Bus backend of the queue port,
// over github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus.
//
// Service Bus itself keeps the semantics the port promises: peek-lock with
// the queue's lock duration, lock renewal, delivery count, dead-lettering
// after the queue's MaxDeliveryCount (reason queue.ReasonMaxDeliveries is
// Service Bus's own "MaxDeliveryCountExceeded"), scheduled messages and
// duplicate detection by MessageID. Those are properties of the queue
// entity, set when it is created (Bicep, az CLI or the admin client), not
// by this package: create dumpflow's queues with duplicate detection on.
//
// The adapter only translates: it maps queue.Message to and from
// azservicebus messages (ID ↔ MessageID, Properties ↔
// ApplicationProperties, ScheduledAt ↔ ScheduledEnqueueTime), maps the
// SDK's CodeLockLost to queue.ErrLockLost and CodeClosed to
// queue.ErrClosed, and never retries (the SDK retries transport failures;
// the queue.Consumer backs off on the rest).
//
// A Queue tracks the SDK messages it delivered, by lock token, until they
// are settled, because the SDK settles through the received message value.
// Messages whose locks expired unsettled are forgotten on the next Receive.
//
// Dead letters are read from the queue's dead-letter sub-queue
// (SubQueueDeadLetter). Resubmit sends a copy to the main queue under a
// fresh MessageID, so that duplicate detection does not drop it, carrying
// the original ID in the application property PropOriginalID; Receive
// restores the original ID from it.
package servicebus
