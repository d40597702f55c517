// The signed-in app's pages, chosen by the URL's `page` key; the first is the default
// (and is left out of the URL). Adding a page is one line here.
export const PAGES = [
  { key: 'dashboard', label: 'Dashboard', load: () => import('./components/Dashboard.jsx') },
  { key: 'requests', label: 'Requests', load: () => import('./components/RequestExplorer.jsx') },
  { key: 'alerts', label: 'Alerts', load: () => import('./components/alerts/AlertsPage.jsx') },
];

export const DEFAULT_PAGE = PAGES[0].key;
