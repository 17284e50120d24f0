import { lazy, Suspense } from 'react';
import { Landing } from './Landing.tsx';
import { roomIdFromPath, usePathname } from './navigation.ts';
import { RoomPage } from './RoomPage.tsx';

/** Rarely visited, so its own chunk, off the call page's critical path. */
const ConnectionTestPage = lazy(() =>
  import('./ConnectionTestPage.tsx').then(({ ConnectionTestPage }) => ({
    default: ConnectionTestPage,
  })),
);

export function App() {
  const pathname = usePathname();
  if (pathname === '/') return <Landing />;
  if (pathname === '/test')
    return (
      <Suspense fallback={<main className="page" aria-busy="true" />}>
        <ConnectionTestPage />
      </Suspense>
    );
  const roomId = roomIdFromPath(pathname);
  if (roomId) return <RoomPage roomId={roomId} />;
  return (
    <main className="page">
      <h1>Link not recognised</h1>
      <p>This address is not a Parley call. Check the link you were sent, or start a new call.</p>
      <a href="/">Start a new call</a>
    </main>
  );
}
