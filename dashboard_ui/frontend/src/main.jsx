import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import App from './App.jsx';

// Under `npm run dev` Vite serves the page, not Django, so nothing has set the
// CSRF cookie yet: fetch Django's shell once through the proxy to get it.
const ready =
  import.meta.env.DEV && !document.cookie.includes('csrftoken=')
    ? fetch('/__django/', { credentials: 'same-origin' }).catch(() => {})
    : Promise.resolve();

ready.then(() =>
  createRoot(document.getElementById('root')).render(
    <StrictMode>
      <App />
    </StrictMode>,
  ),
);
