# One image for every OMS process; docker-compose.yml picks the roles each runs (OMS_ROLES).
FROM node:20-bookworm-slim AS build
WORKDIR /oms
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /oms
ENV NODE_ENV=production
COPY --from=build /oms/node_modules ./node_modules
COPY --from=build /oms/dist ./dist
COPY package.json ./
# Where an API instance writes demo-credentials.json (a volume in docker-compose.yml), owned by the user it runs as.
RUN mkdir -p /oms/data && chown node:node /oms/data
USER node
EXPOSE 4000
CMD ["node", "dist/apps/oms/src/main.js"]
