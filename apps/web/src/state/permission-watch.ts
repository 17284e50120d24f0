/**
 * Calls `onGranted` when the camera or microphone permission turns to "granted" (the user
 * allowed it in the address bar or site settings), so the lobby recovers without a reload.
 * Returns a function that stops watching. Browsers without the Permissions API (or without
 * these permission names) simply never call back; "Try again" still works there.
 */
export function watchMediaPermissions(onGranted: () => void): () => void {
  const statuses: PermissionStatus[] = [];
  let stopped = false;
  const onChange = (event: Event) => {
    if ((event.target as PermissionStatus).state === 'granted') onGranted();
  };
  for (const name of ['camera', 'microphone'] as const) {
    navigator.permissions
      ?.query({ name: name as PermissionName })
      .then((status) => {
        if (stopped) return;
        statuses.push(status);
        status.addEventListener('change', onChange);
      })
      .catch(() => undefined);
  }
  return () => {
    stopped = true;
    for (const status of statuses) status.removeEventListener('change', onChange);
  };
}
