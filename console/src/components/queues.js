// A task's `role` names the queues that may work it: groups (roles) and `user:<username>`,
// `|`-joined (the engine's rule, engine/usecases/policy.py). The console offers only what
// the server would accept; the server decides.
const SEPARATOR = '|';
const USER_QUEUE = 'user:';

function queuesOf(task) {
  return task.role.split(SEPARATOR);
}

/** Whether the user holds one of the task's queues: may claim and work it. */
export function holdsQueue(user, task) {
  return queuesOf(task).some((queue) => user.roles.includes(queue) || queue === USER_QUEUE + user.username);
}

/** Whether the task is one user's alone (its only queue that user's own). */
export function isOneUsersTask(task) {
  const queues = queuesOf(task);
  return queues.length === 1 && queues[0].startsWith(USER_QUEUE);
}
