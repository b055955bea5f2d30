// What every notification service takes, and the error it throws.
import type { ServiceConfig } from "../engine/notifications/config.js";
import type { Notification } from "../engine/notifications/plan.js";

export interface Delivery {
  service: ServiceConfig;
  recipient: string;
  notification: Notification;
}

/** A failed delivery; `retryable` when the next attempt may succeed (network error, 5xx, 429). */
export class DeliveryError extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
    this.name = "DeliveryError";
  }
}

