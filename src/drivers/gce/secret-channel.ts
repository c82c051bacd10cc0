import type { PlannedCheck, PlannedStep, PlanString } from "../../plan/types.js";
import type { Reporter } from "../events.js";
import type { GceSession } from "./session.js";

/**
 * Secret values reach a gce instance in its `startup-script` metadata: Compute Engine has no channel into a
 * new instance that `compute.instances.get` holders and processes in the instance cannot read (Secret Manager
 * would still hand them to any process there, through the service account). So bake narrows the window: the
 * item is removed as soon as the script reports its first marker (the guest agent has read it by then), and
 * the instance is deleted after the build. Markers, labels, descriptions and images never carry a value.
 */
export class SecretChannel {
  private removal: Promise<void> | undefined;

  constructor(
    private readonly input: {
      session: GceSession;
      instance: string;
      reporter: Reporter;
      /** Whether the startup script carries any secret value. */
      carriesSecrets: boolean;
      layer?: string;
    },
  ) {
    if (input.carriesSecrets) {
      this.note(
        `secret values travel in the startup-script metadata of ${input.instance}, readable with compute.instances.get until its script starts (then removed)`,
      );
    }
  }

  /** Called on every marker: the first one starts removing the script from the instance's metadata. */
  markerSeen(): void {
    if (!this.input.carriesSecrets || this.removal) return;
    this.removal = this.input.session.removeStartupScript(this.input.instance);
    this.removal.catch(() => undefined);
  }

  /** Waits for the removal; a failure is reported (the instance is deleted soon anyway), never thrown. */
  async settle(): Promise<void> {
    if (!this.removal) return;
    try {
      await this.removal;
    } catch (error) {
      this.note(
        `could not remove the startup script from ${this.input.instance}'s metadata (${error instanceof Error ? error.message : String(error)}); it goes when the instance is deleted`,
      );
    }
  }

  private note(message: string): void {
    this.input.reporter.emit({
      type: "note",
      message,
      ...(this.input.layer === undefined ? {} : { layer: this.input.layer }),
    });
  }
}

/** Whether any of a layer's steps reads a secret variable. */
export function stepsUseSecrets(steps: readonly PlannedStep[]): boolean {
  return steps.some((step) =>
    step.kind === "run"
      ? Object.values(step.env).some(isSecret)
      : step.kind === "file"
        ? isSecret(step.content)
        : false,
  );
}

/** Whether any verify check reads a secret variable. */
export function checksUseSecrets(checks: readonly PlannedCheck[]): boolean {
  return checks.some((check) => check.kind === "run" && Object.values(check.env).some(isSecret));
}

function isSecret(value: PlanString): boolean {
  return typeof value !== "string";
}
